import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { configurationParameters } from './configuration-parameters.js';
import { entries } from './entries.js';
import { type CodeSource, MailroomFunction } from './mailroom-function.js';
import { MailroomHttpApi } from './mailroom-http-api.js';
import { MailroomTable } from './mailroom-table.js';
import { QueueWithDeadLetters } from './queue-with-dead-letters.js';
import { API_TIMEOUT, SWEEPER_TIMEOUT, WEBHOOK_TIMEOUT, WORKER_TIMEOUT } from './timeouts.js';

export interface MailroomStackProps extends StackProps {
  /** @default 'bundle' */
  readonly codeSource?: CodeSource;
}

/** Records per invocation; a batch shares the worker's one timeout, so it stays small. */
export const WORKER_BATCH_SIZE = 10;
/** Waits up to a second so that a burst arrives as a few batches, not many invocations. */
export const WORKER_BATCHING_WINDOW = Duration.seconds(1);
/** Caps the workers running at once, and so the SMTP sessions open against the relays. */
export const WORKER_MAX_CONCURRENCY = 20;
export const WEBHOOK_MAX_CONCURRENCY = 10;
export const SWEEP_INTERVAL = Duration.minutes(1);
/**
 * The webhook function also runs on a schedule: it finds events and retries that no
 * wake-up message announced (a retry more than SQS's 15-minute delay away, say).
 */
export const WEBHOOK_SWEEP_INTERVAL = Duration.minutes(1);

/** Memory in MB; Lambda allots CPU in proportion, and TLS handshakes want some. */
const API_MEMORY = 512;
const WORKER_MEMORY = 512;
const SWEEPER_MEMORY = 256;
const WEBHOOK_MEMORY = 256;

/** Table, send and webhook queues, and the four functions that move mail through them. */
export class MailroomStack extends Stack {
  constructor(scope: Construct, id: string, props: MailroomStackProps = {}) {
    super(scope, id, props);

    const table = new MailroomTable(this, 'Table');
    const send = new QueueWithDeadLetters(this, 'Send', { consumerTimeout: WORKER_TIMEOUT });
    const webhook = new QueueWithDeadLetters(this, 'Webhook', {
      consumerTimeout: WEBHOOK_TIMEOUT,
    });
    const configuration = configurationParameters(this);
    // The configuration loader wants the table and the send queue in every function.
    const environment = {
      ...configuration.common,
      MAILROOM_MODE: 'aws',
      MAILROOM_TABLE: table.tableName,
      MAILROOM_QUEUE_URL: send.queue.queueUrl,
      MAILROOM_WEBHOOK_QUEUE_URL: webhook.queue.queueUrl,
    };
    const shared = { codeSource: props.codeSource ?? 'bundle', environment, table };

    const api = new MailroomFunction(this, 'Api', {
      ...shared,
      environment: { ...environment, ...configuration.inbound },
      entry: entries.api,
      description: 'Mailroom HTTP API',
      timeout: API_TIMEOUT,
      memorySize: API_MEMORY,
      // The webhook queue only to wake the dispatcher after a replay.
      sendsTo: [send.queue, webhook.queue],
    });
    const worker = new MailroomFunction(this, 'Worker', {
      ...shared,
      environment: { ...environment, ...configuration.smtp },
      entry: entries.worker,
      description: 'Mailroom worker: delivers queued messages over SMTP',
      timeout: WORKER_TIMEOUT,
      memorySize: WORKER_MEMORY,
      sendsTo: [webhook.queue],
    });
    const sweeper = new MailroomFunction(this, 'Sweeper', {
      ...shared,
      entry: entries.sweeper,
      description: 'Mailroom sweeper: queues messages whose next attempt is overdue',
      timeout: SWEEPER_TIMEOUT,
      memorySize: SWEEPER_MEMORY,
      sendsTo: [send.queue],
    });
    const webhooks = new MailroomFunction(this, 'Webhooks', {
      ...shared,
      entry: entries.webhooks,
      description: 'Mailroom webhooks: posts delivery events to subscribers',
      timeout: WEBHOOK_TIMEOUT,
      memorySize: WEBHOOK_MEMORY,
      // Delayed messages to itself wake it when a retry falls due.
      sendsTo: [webhook.queue],
    });

    worker.fn.addEventSource(
      new SqsEventSource(send.queue, {
        batchSize: WORKER_BATCH_SIZE,
        maxBatchingWindow: WORKER_BATCHING_WINDOW,
        maxConcurrency: WORKER_MAX_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );
    webhooks.fn.addEventSource(
      new SqsEventSource(webhook.queue, {
        maxConcurrency: WEBHOOK_MAX_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );
    new Rule(this, 'SweepSchedule', {
      schedule: Schedule.rate(SWEEP_INTERVAL),
      // No retries: the next sweep, a minute later, does the same work.
      targets: [new LambdaFunction(sweeper.fn, { retryAttempts: 0 })],
    });
    new Rule(this, 'WebhookSchedule', {
      schedule: Schedule.rate(WEBHOOK_SWEEP_INTERVAL),
      // No retries: the next run, a minute later, does the same work.
      targets: [new LambdaFunction(webhooks.fn, { retryAttempts: 0 })],
    });
    const httpApi = new MailroomHttpApi(this, 'Http', { handler: api.fn });

    new CfnOutput(this, 'ApiUrl', { value: httpApi.url });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'QueueUrl', { value: send.queue.queueUrl });
  }
}
