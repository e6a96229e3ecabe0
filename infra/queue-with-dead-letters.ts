import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** A message that fails this many receives moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/**
 * AWS asks for a visibility timeout of at least six times the consuming function's timeout,
 * so a batch that Lambda retries after throttling is not handed out twice.
 */
export const VISIBILITY_PER_CONSUMER_TIMEOUT = 6;

/** SQS refuses visibility timeouts above 12 hours. */
export const SQS_MAX_VISIBILITY = Duration.hours(12);

/** The longest SQS keeps a message: time to inspect and redrive dead letters. */
const DEAD_LETTER_RETENTION = Duration.days(14);

export interface QueueWithDeadLettersProps {
  /** Timeout of the function that consumes the queue; the visibility timeout follows it. */
  readonly consumerTimeout: Duration;
}

/** A standard queue, encrypted by SQS, whose poison messages land in a dead-letter queue. */
export class QueueWithDeadLetters extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: QueueWithDeadLettersProps) {
    super(scope, id);

    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: visibilityTimeoutFor(props.consumerTimeout),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}

export function visibilityTimeoutFor(consumerTimeout: Duration): Duration {
  const seconds = consumerTimeout.toSeconds() * VISIBILITY_PER_CONSUMER_TIMEOUT;
  return Duration.seconds(Math.min(seconds, SQS_MAX_VISIBILITY.toSeconds()));
}
