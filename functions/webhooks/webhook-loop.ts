import {
  DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient,
} from '@aws-sdk/client-sqs';

import type { WebhookDeps } from './build-webhook-deps.js';

export interface WebhookLoopOptions {
  /** Time between rounds when nothing wakes the loop earlier. */
  intervalMs?: number;
  /** Long-poll this queue; any message starts a round at once. */
  wakeQueue?: { sqs: SQSClient; queueUrl: string; waitSeconds?: number };
}

export interface WebhookLoop {
  /** Starts a round now instead of at the next tick. */
  wake(): void;
  /** Stops starting rounds and waits for the attempts in flight. */
  stop(): Promise<void>;
}

export const DEFAULT_LOOP_INTERVAL_MS = 1_000;
const LONG_POLL_SECONDS = 20;
const RECEIVE_ERROR_PAUSE_MS = 1_000;

/**
 * The webhook dispatcher as a long-running loop: what local mode runs instead of the
 * scheduled and queue-triggered function. Each round dispatches new events and starts
 * due attempts without waiting for them, so a receiver that hangs holds one slot for its
 * timeout while the rounds go on.
 */
export function startWebhookLoop(deps: WebhookDeps, options: WebhookLoopOptions = {}): WebhookLoop {
  const intervalMs = options.intervalMs ?? DEFAULT_LOOP_INTERVAL_MS;
  const abort = new AbortController();
  let stopping = false;
  let wakeNow: (() => void) | undefined;
  let woken = false;

  const wake = () => {
    woken = true;
    wakeNow?.();
  };
  const pause = () => new Promise<void>((resolve) => {
    if (woken || stopping) return resolve();
    const timer = setTimeout(resolve, intervalMs);
    wakeNow = () => {
      clearTimeout(timer);
      resolve();
    };
  });

  const rounds = (async () => {
    while (!stopping) {
      woken = false;
      try {
        await deps.dispatcher.dispatch();
        await deps.deliverer.startDue();
      } catch (error) {
        deps.logger.error('webhook round failed', { error });
      }
      await pause();
      wakeNow = undefined;
    }
  })();

  const receiving = options.wakeQueue
    ? receiveWakeups(deps, options.wakeQueue, abort.signal, wake, () => stopping)
    : Promise.resolve();

  return {
    wake,
    async stop() {
      stopping = true;
      abort.abort();
      wakeNow?.();
      // Draining first ends a round that is handing out attempts to a slow receiver.
      const drained = deps.deliverer.drain();
      await Promise.allSettled([rounds, receiving]);
      await drained;
    },
  };
}

async function receiveWakeups(
  deps: WebhookDeps,
  queue: NonNullable<WebhookLoopOptions['wakeQueue']>,
  signal: AbortSignal,
  wake: () => void,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    try {
      const { Messages = [] } = await queue.sqs.send(new ReceiveMessageCommand({
        QueueUrl: queue.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: queue.waitSeconds ?? LONG_POLL_SECONDS,
      }), { abortSignal: signal });
      if (Messages.length === 0) continue;

      wake();
      // Wake-ups carry nothing to keep: they are acknowledged as soon as they are seen.
      await queue.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queue.queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }));
    } catch (error) {
      if (stopped()) break;
      deps.logger.warn('webhook queue receive failed', { error });
      await new Promise((resolve) => setTimeout(resolve, RECEIVE_ERROR_PAUSE_MS));
    }
  }
}
