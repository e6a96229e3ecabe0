import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

export type WriteResult = 'ok' | 'condition_failed';

interface Submission {
  key: string;
  items: TransactItem[];
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
  rounds: number;
}

export interface BatcherOptions {
  /** How long a write waits for others to share its call. */
  windowMs?: number;
}

/** DynamoDB's cap on items in one TransactWriteItems call. */
const MAX_ITEMS = 100;
const DEFAULT_WINDOW_MS = 5;
/** A submission cancelled only because a neighbour failed is re-sent; this bounds it. */
const MAX_ROUNDS = 6;

/**
 * Shares TransactWriteItems calls between independent writes made within a few
 * milliseconds of each other (the outcomes of emails sent in parallel, say). Each write
 * keeps its own meaning: it commits whole or not at all, and a failed condition in one
 * write is reported to that write only; the others are re-sent without it. Two writes to
 * the same email never share a call (DynamoDB refuses one transaction touching an item
 * twice).
 */
export class TransactionBatcher {
  private queue: Submission[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly windowMs: number;

  constructor(private readonly documents: DynamoDBDocumentClient, options: BatcherOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  }

  /** `key` names the item the write is about; writes with one key never share a call. */
  write(key: string, items: TransactItem[]): Promise<WriteResult> {
    if (items.length > MAX_ITEMS) throw new Error(`a write has more than ${MAX_ITEMS} items`);

    return new Promise((resolve, reject) => {
      this.queue.push({ key, items, resolve, reject, rounds: 0 });
      this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    this.timer = undefined;

    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      void this.send(batch);
    }
  }

  private takeBatch(): Submission[] {
    const batch: Submission[] = [];
    const keys = new Set<string>();
    let items = 0;
    const rest: Submission[] = [];

    for (const submission of this.queue) {
      const fits = items + submission.items.length <= MAX_ITEMS && !keys.has(submission.key);
      if (fits) {
        batch.push(submission);
        keys.add(submission.key);
        items += submission.items.length;
      } else {
        rest.push(submission);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async send(batch: Submission[]): Promise<void> {
    try {
      await this.documents.send(new TransactWriteCommand({
        TransactItems: batch.flatMap((submission) => submission.items),
      }));
      for (const submission of batch) submission.resolve('ok');
    } catch (error) {
      // A refusal of the whole call (two writes touching one shared item, say) must not
      // sink writes that would succeed alone: each is sent by itself once.
      if (!cancellationCodes(error) && batch.length > 1) {
        await Promise.all(batch.map((submission) => this.send([submission])));
        return;
      }
      this.settleCancelled(batch, error);
    }
  }

  private settleCancelled(batch: Submission[], error: unknown): void {
    const reasons = cancellationCodes(error);
    if (!reasons) {
      for (const submission of batch) submission.reject(error);
      return;
    }

    let offset = 0;
    const again: Submission[] = [];
    for (const submission of batch) {
      const codes = reasons.slice(offset, offset + submission.items.length);
      offset += submission.items.length;
      if (codes.includes('ConditionalCheckFailed')) {
        submission.resolve('condition_failed');
      } else if (++submission.rounds >= MAX_ROUNDS) {
        submission.reject(error);
      } else {
        again.push(submission);
      }
    }

    // The rest were cancelled for a neighbour's sake (or a conflict): send them again.
    if (again.length > 0) {
      this.queue.push(...again);
      this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    }
  }
}

function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: Array<{ Code?: string }> })
    .CancellationReasons;
  return reasons?.map((reason) => reason.Code ?? 'None');
}
