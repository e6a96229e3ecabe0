import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

import { idFloor, idTime } from '../ids/new-id.js';
import { dispatchShard, DISPATCH_SHARDS, feedPk } from './event-keys.js';
import { type StoredEvent, toWebhookEvent, type WebhookEvent } from './webhook-event.js';

/**
 * How far behind the present the feed stays. An event's position is its id, taken from the
 * clock before its write is sent; the write commits within a bounded time (request timeout
 * × attempts, plus the outcome write's own retries), so once this much time has passed no
 * event with an earlier position can still appear. Paging from the last cursor therefore
 * never skips an event, with no shared counter for writers to contend on.
 */
export const FEED_SETTLE_MS = 30_000;
const MAX_FEED_DAYS = 3660;

export class EventFeed {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly settleMs: number = FEED_SETTLE_MS,
  ) {}

  /**
   * Events after `afterId` (or from `fromTime` when there is no cursor), oldest first, up to
   * the settle horizon.
   */
  async list(
    accountId: string,
    options: { afterId?: string; fromTime: number; limit: number; now?: number },
  ): Promise<{ events: WebhookEvent[]; lastId?: string }> {
    const now = options.now ?? Date.now();
    const horizon = idFloor('ev', now - this.settleMs);
    const start = options.afterId ? idTime(options.afterId) : options.fromTime;
    const events: WebhookEvent[] = [];
    let lastId = options.afterId;

    for (let day = startOfDay(start), n = 0; day <= now && n < MAX_FEED_DAYS; n++) {
      const dayKey = new Date(day).toISOString().slice(0, 10);
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await this.documents.send(new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': feedPk(accountId, dayKey),
            ':from': lastId ? `${lastId}~` : idFloor('ev', start),
            ':to': horizon,
          },
          Limit: options.limit - events.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }));
        for (const item of result.Items ?? []) {
          const event = toWebhookEvent(item as unknown as StoredEvent);
          lastId = String(item.id);
          if (event) events.push(event);
        }
        startKey = result.LastEvaluatedKey;
      } while (startKey && events.length < options.limit);

      if (events.length >= options.limit) break;
      day += 86_400_000;
    }

    return { events, ...(lastId ? { lastId } : {}) };
  }

  /** Events not yet handed to webhook endpoints, oldest first, from every shard. */
  async undispatched(
    limitPerShard: number,
  ): Promise<Array<StoredEvent & { pk: string; sk: string }>> {
    const found: Array<StoredEvent & { pk: string; sk: string }> = [];
    for (let shard = 0; shard < DISPATCH_SHARDS; shard++) {
      const result = await this.documents.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :shard',
        ExpressionAttributeValues: { ':shard': `wh#${shard}` },
        Limit: limitPerShard,
      }));
      found.push(
        ...(result.Items ?? []) as unknown as Array<StoredEvent & { pk: string; sk: string }>,
      );
    }
    return found.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Takes events out of the dispatch index together with the writes that hand them over
   * (their delivery items), in one transaction, so each event is dispatched exactly once
   * even if two dispatchers race: the loser's transaction fails as a whole. The caller
   * keeps each call under DynamoDB's 100 items.
   */
  async markDispatched(handovers: Array<{
    event: StoredEvent & { pk: string; sk: string };
    deliveries: Array<Record<string, unknown>>;
  }>): Promise<boolean> {
    if (handovers.length === 0) return true;
    try {
      await this.documents.send(new TransactWriteCommand({
        TransactItems: handovers.flatMap(({ event, deliveries }) => [
          {
            Update: {
              TableName: this.tableName,
              Key: { pk: event.pk, sk: event.sk },
              UpdateExpression: 'REMOVE gsi2pk, gsi2sk',
              ConditionExpression: 'gsi2pk = :shard',
              ExpressionAttributeValues: { ':shard': dispatchShard(event.id) },
            },
          },
          ...deliveries.map((Item) => ({
            Put: {
              TableName: this.tableName,
              Item,
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          })),
        ]),
      }));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') return false;
      throw error;
    }
  }
}

function startOfDay(time: number): number {
  return Date.parse(`${new Date(time).toISOString().slice(0, 10)}T00:00:00Z`);
}
