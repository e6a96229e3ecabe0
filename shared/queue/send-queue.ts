import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

import { INLINE_CONTENT_LIMIT_BYTES, type SendJob } from './send-job.js';

/** SQS caps a message's delay at 15 minutes; longer waits are the sweeper's job. */
export const MAX_DELAY_SECONDS = 900;
const BATCH_LIMIT = 10;
/** How long a job may wait for others to share its SendMessageBatch call. */
const BATCH_WINDOW_MS = 4;

interface Pending {
  job: SendJob;
  delaySeconds: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Puts send jobs on the queue. Jobs that arrive within a few milliseconds of each other
 * share one SendMessageBatch call, which under load divides the queue's API calls per
 * email by up to ten; a lone job waits only the short window.
 */
export class SendQueue {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sqs: SQSClient, readonly queueUrl: string) {}

  enqueue(job: SendJob, delaySeconds = 0): Promise<void> {
    const bounded = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)));
    const withContent = job.content && jobSize(job) > INLINE_CONTENT_LIMIT_BYTES
      ? { ...job, content: undefined }
      : job;

    return new Promise((resolve, reject) => {
      this.pending.push({ job: withContent, delaySeconds: bounded, resolve, reject });
      if (this.pending.length >= BATCH_LIMIT) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), BATCH_WINDOW_MS);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;

    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, BATCH_LIMIT);
      this.sendBatch(batch).catch((error: Error) => batch.forEach((item) => item.reject(error)));
    }
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const result = await this.sqs.send(new SendMessageBatchCommand({
      QueueUrl: this.queueUrl,
      Entries: batch.map((item, index) => ({
        Id: String(index),
        MessageBody: asciiJson(item.job),
        ...(item.delaySeconds > 0 ? { DelaySeconds: item.delaySeconds } : {}),
      })),
    }));

    const failed = new Map((result.Failed ?? []).map((entry) => [entry.Id, entry]));
    batch.forEach((item, index) => {
      const failure = failed.get(String(index));
      if (failure) item.reject(new Error(`queue refused a job: ${failure.Code ?? 'unknown'}`));
      else item.resolve();
    });
  }
}

/**
 * JSON with every non-ASCII character escaped. SQS accepts only some Unicode ranges in a
 * message body, and an emulator may judge characters outside the BMP by their surrogate
 * halves; escaped, any text travels and parses back to the same string.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function jobSize(job: SendJob): number {
  return Buffer.byteLength(asciiJson(job));
}
