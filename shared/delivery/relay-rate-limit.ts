import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Messages per second per relay, counted across every worker in one table item per relay
 * and second. A worker takes a few permits per call, so the count costs one write per
 * handful of messages rather than one per message; a second that is used up makes the
 * worker wait for the next.
 *
 * | item         | pk            | sk              |
 * | ------------ | ------------- | --------------- |
 * | rate window  | RELAY#<name>  | R#<unix second> |
 */
const PERMIT_SHARE = 4;
const WINDOW_TTL_SECONDS = 120;

export class RelayRateLimiter {
  private buckets = new Map<string, { second: number; permits: number }>();

  constructor(
    private readonly documents: DynamoDBDocumentClient | undefined,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  private queues = new Map<string, Promise<void>>();

  /** Resolves when one more message may go to `relay` this second. */
  take(relay: string, perSecond: number): Promise<void> {
    if (perSecond <= 0) return Promise.resolve();

    // One taker at a time per relay, so permits claimed for one are used by the next.
    const turn = (this.queues.get(relay) ?? Promise.resolve())
      .then(() => this.takeOne(relay, perSecond));
    this.queues.set(relay, turn.catch(() => {}));
    return turn;
  }

  private async takeOne(relay: string, perSecond: number): Promise<void> {
    for (;;) {
      const second = Math.floor(this.now() / 1000);
      const bucket = this.buckets.get(relay);
      if (bucket && bucket.second === second && bucket.permits > 0) {
        bucket.permits--;
        return;
      }

      const granted = await this.claim(relay, second, perSecond);
      if (granted > 0) {
        this.buckets.set(relay, { second, permits: granted - 1 });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, (second + 1) * 1000 - this.now() + 5));
    }
  }

  private async claim(relay: string, second: number, perSecond: number): Promise<number> {
    if (!this.documents) return this.claimLocally(relay, second, perSecond);

    for (const want of [Math.max(1, Math.ceil(perSecond / PERMIT_SHARE)), 1]) {
      try {
        await this.documents.send(new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RELAY#${relay}`, sk: `R#${second}` },
          UpdateExpression: 'ADD used :want SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(used) OR used <= :most',
          ExpressionAttributeValues: {
            ':want': want,
            ':most': perSecond - want,
            ':expires': second + WINDOW_TTL_SECONDS,
          },
        }));
        return want;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') {
          throw error;
        }
      }
    }
    return 0;
  }

  private used = new Map<string, { second: number; used: number }>();

  private claimLocally(relay: string, second: number, perSecond: number): number {
    const window = this.used.get(relay);
    const used = window && window.second === second ? window.used : 0;
    if (used >= perSecond) return 0;
    this.used.set(relay, { second, used: used + 1 });
    return 1;
  }
}
