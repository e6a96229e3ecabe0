import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

import type { DeliveryDeps } from '../../shared/delivery/deliver-email.js';
import { BatchDeleter } from './batch-deleter.js';
import { processRecord } from './process-record.js';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  deps: DeliveryDeps;
  /** Jobs in flight at once in this process. */
  concurrency?: number;
  /** Long polls open at once; more than one keeps the pipe full while a poll returns. */
  receivers?: number;
  waitSeconds?: number;
}

export interface Poller {
  /** Stops receiving, lets the jobs in flight finish, deletes what finished. */
  stop(): Promise<void>;
  readonly inFlight: number;
}

const DEFAULT_CONCURRENCY = 32;
const DEFAULT_RECEIVERS = 2;
const LONG_POLL_SECONDS = 20;
/** A job that failed unexpectedly comes back this soon; each return counts toward the DLQ. */
const FAILED_JOB_VISIBILITY_SECONDS = 30;
const RECEIVE_ERROR_PAUSE_MS = 1_000;

/**
 * The local stand-in for Lambda's SQS event source: long-polls the same queue and calls the
 * same per-record code. Each job is deleted when it finishes; a failed one is made visible
 * again after a short pause.
 */
export function startPoller(options: PollerOptions): Poller {
  const { sqs, queueUrl, deps } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const deleter = new BatchDeleter(sqs, queueUrl, deps.logger);
  const abort = new AbortController();
  const jobs = new Set<Promise<void>>();
  // Every receive loop waiting for a free slot; all are woken when one frees up.
  const waiting = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiting) wake();
    waiting.clear();
  };
  let stopping = false;

  const run = (message: Message) => {
    const job = (async () => {
      const result = await processRecord(message.MessageId ?? '', message.Body ?? '', deps);
      if (result === 'done') deleter.delete(message.ReceiptHandle ?? '');
      else await makeVisibleSoon(sqs, queueUrl, message, deps);
    })().finally(() => {
      jobs.delete(job);
      wakeAll();
    });
    jobs.add(job);
  };

  const receiveLoop = async () => {
    while (!stopping) {
      while (jobs.size >= concurrency && !stopping) {
        await new Promise<void>((resolve) => waiting.add(resolve));
      }
      if (stopping) break;

      try {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, concurrency - jobs.size),
          WaitTimeSeconds: options.waitSeconds ?? LONG_POLL_SECONDS,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }), { abortSignal: abort.signal });
        for (const message of Messages ?? []) run(message);
      } catch (error) {
        if (stopping) break;
        deps.logger.warn('queue receive failed', { error });
        await new Promise((resolve) => setTimeout(resolve, RECEIVE_ERROR_PAUSE_MS));
      }
    }
  };

  const loops = Array.from({ length: options.receivers ?? DEFAULT_RECEIVERS }, receiveLoop);

  return {
    get inFlight() {
      return jobs.size;
    },
    async stop() {
      stopping = true;
      abort.abort();
      wakeAll();
      await Promise.allSettled(loops);
      await Promise.allSettled([...jobs]);
      await deleter.drain();
    },
  };
}

async function makeVisibleSoon(
  sqs: SQSClient,
  queueUrl: string,
  message: Message,
  deps: DeliveryDeps,
): Promise<void> {
  try {
    await sqs.send(new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: message.ReceiptHandle,
      VisibilityTimeout: FAILED_JOB_VISIBILITY_SECONDS,
    }));
  } catch (error) {
    deps.logger.warn('could not shorten a failed job\'s visibility', { error });
  }
}
