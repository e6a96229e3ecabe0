import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

import type { Logger } from '../log/logger.js';

/** SQS caps a message's delay at 15 minutes; later work is found by the schedule. */
export const MAX_WAKEUP_DELAY_SECONDS = 900;
/**
 * `nudgeSoon` sends at most one wake-up per process in this time: events written after a
 * wake-up was sent are found by the round it starts or by the next one, so more would only
 * cost SQS calls.
 */
export const WAKEUP_INTERVAL_MS = 1_000;

/**
 * Tells the webhook dispatcher to look now (or after a delay) rather than at its next
 * scheduled run. The message carries nothing: the table says what is to be done, so a
 * lost or repeated wake-up changes only when the work happens.
 */
export class WebhookWakeup {
  constructor(
    private readonly sqs: SQSClient | undefined,
    private readonly queueUrl: string | undefined,
    private readonly logger: Logger,
  ) {}

  private lastSoon = 0;

  /** After writing events: wakes the dispatcher unless this process did so a moment ago. */
  async nudgeSoon(now = Date.now()): Promise<void> {
    if (now - this.lastSoon < WAKEUP_INTERVAL_MS) return;
    this.lastSoon = now;
    await this.nudge();
  }

  async nudge(delaySeconds = 0): Promise<void> {
    if (!this.sqs || !this.queueUrl) return;

    const delay = Math.max(0, Math.min(MAX_WAKEUP_DELAY_SECONDS, Math.ceil(delaySeconds)));
    try {
      await this.sqs.send(new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: '{"wake":true}',
        ...(delay > 0 ? { DelaySeconds: delay } : {}),
      }));
    } catch (error) {
      // The schedule still runs the dispatcher; a lost wake-up only delays it.
      this.logger.warn('could not wake the webhook dispatcher', { error });
    }
  }
}
