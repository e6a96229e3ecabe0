import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

import type { Logger } from '../../shared/log/logger.js';

const BATCH_LIMIT = 10;
const FLUSH_AFTER_MS = 20;

/**
 * Deletes finished queue messages ten at a time. A message whose delete is lost comes back
 * after its visibility timeout and is acknowledged by the claim check without sending.
 */
export class BatchDeleter {
  private handles: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly logger: Logger,
  ) {}

  delete(receiptHandle: string): void {
    this.handles.push(receiptHandle);
    if (this.handles.length >= BATCH_LIMIT) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Sends everything pending and waits for it; used on shutdown. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.inFlight]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;

    while (this.handles.length > 0) {
      const batch = this.handles.splice(0, BATCH_LIMIT);
      const sent = this.send(batch).finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }
  }

  private async send(batch: string[]): Promise<void> {
    try {
      const result = await this.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: batch.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle })),
      }));
      if (result.Failed?.length) {
        this.logger.warn('some queue deletes failed', { failed: result.Failed.length });
      }
    } catch (error) {
      this.logger.warn('queue delete failed; the jobs will come back and be skipped', { error });
    }
  }
}
