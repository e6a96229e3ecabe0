/**
 * Creates the product's queues and their dead-letter queues. CreateQueue is idempotent when
 * the attributes match, so this runs on every start. The queue URLs come only from
 * CreateQueue's answer: the emulator accepts nothing but the exact URL it handed out.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface QueueUrls {
  sendQueueUrl: string;
  sendDlqUrl: string;
  webhookQueueUrl: string;
  webhookDlqUrl: string;
}

export const QUEUE_NAMES = {
  send: 'mailroom-send',
  webhooks: 'mailroom-webhooks',
} as const;

/** A message that failed this many receives moves to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;
/** Longer than the slowest delivery attempt, so a message in progress is not handed out twice. */
const VISIBILITY_TIMEOUT_SECONDS = 900;
/** Dead letters are kept for the SQS maximum, 14 days, so they can be inspected. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

export async function ensureQueues(
  sqs: SQSClient,
  options: { prefix?: string } = {},
): Promise<QueueUrls> {
  const prefix = options.prefix ?? '';
  const [send, webhooks] = await Promise.all([
    ensureQueueWithDlq(sqs, prefix + QUEUE_NAMES.send),
    ensureQueueWithDlq(sqs, prefix + QUEUE_NAMES.webhooks),
  ]);

  return {
    sendQueueUrl: send.queueUrl,
    sendDlqUrl: send.dlqUrl,
    webhookQueueUrl: webhooks.queueUrl,
    webhookDlqUrl: webhooks.dlqUrl,
  };
}

async function ensureQueueWithDlq(sqs: SQSClient, name: string) {
  const dlqUrl = await createQueue(sqs, `${name}-dlq`, {
    MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
  });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: dlqUrl,
    AttributeNames: ['QueueArn'],
  }));
  const dlqArn = Attributes?.QueueArn;
  if (!dlqArn) throw new Error(`queue ${name}-dlq has no ARN`);

  const queueUrl = await createQueue(sqs, name, {
    VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: String(MAX_RECEIVE_COUNT),
    }),
  });
  return { queueUrl, dlqUrl };
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: name,
    Attributes: attributes,
  }));
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return QueueUrl;
}
