import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

import { idCeiling, idFloor, idTime } from '../ids/new-id.js';
import {
  DAY_MS, dayKey, dispatchShard, DISPATCH_SHARDS, feedPk, startOfDay,
} from './event-keys.js';
import { type StoredEvent, toWebhookEvent, type WebhookEvent } from './webhook-event.js';

/**
 * How far behind the present the feed stays. An event's position is its id, taken from the
 * clock before its write is sent; the write commits within a bounded time (request timeout
 * × attempts, plus the outcome write's own retries), so once this much time has passed no
 * event with an earlier position can still appear. Paging from the last cursor therefore
 * never skips an event, with no shared counter for writers to contend on.
 */
export const FEED_SETTLE_MS = 30_000;
/**
 * Day partitions one call reads at most. A cursor far behind (a consumer that was away, a
 * quiet account) then costs a few calls instead of one very long one: each call's position
 * moves past the days it found empty.
 */
export const MAX_FEED_DAYS = 31;

export interface FeedPage {
  events: WebhookEvent[];
  /**
   * Where the next call goes on from (exclusive): the last event read, or the end of the
   * last whole day read when that is later. Unset when nothing was read and there was no
   * cursor. The feed never moves it past the settle horizon, so nothing before it can still
   * appear.
   */
  position?: string;
  /** Every settled event after the cursor has been read. */
  caughtUp: boolean;
}

export class EventFeed {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly settleMs: number = FEED_SETTLE_MS,
  ) {}

  /**
   * Events after `afterId` (or from `fromTime` when there is no cursor), oldest first, up to
   * the settle horizon. Events before `notBefore` (the retention edge) are not read: they
   * have expired, and a cursor older than that edge goes on from it.
   */
  async list(
    accountId: string,
    options: {
      afterId?: string; fromTime: number; notBefore?: number; limit: number; now?: number;
    },
  ): Promise<FeedPage> {
    const settled = (options.now ?? Date.now()) - this.settleMs;
    const horizon = idFloor('ev', settled);
    const edge = idFloor('ev', options.notBefore ?? 0);
    // `~` sorts after every id character: the smallest bound above the cursor's id.
    const wanted = options.afterId ? `${options.afterId}~` : idFloor('ev', options.fromTime);
    const from = wanted < edge ? edge : wanted;
    const events: WebhookEvent[] = [];
    let position = options.afterId;
    const page = () => ({ events, ...(position ? { position } : {}) });

    // A cursor newer than the horizon (one a webhook just delivered): nothing settled yet.
    if (from > horizon) return { ...page(), caughtUp: true };

    const lastDay = startOfDay(settled);
    for (let day = startOfDay(idTime(from)), n = 0; day <= lastDay; day += DAY_MS, n++) {
      if (n === MAX_FEED_DAYS) return { ...page(), caughtUp: false };

      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await this.documents.send(new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
          // TTL deletes expired items late (DynamoDB Local never): they are skipped here.
          FilterExpression: 'attribute_not_exists(expiresAt) OR expiresAt > :nowSeconds',
          ExpressionAttributeValues: {
            ':pk': feedPk(accountId, dayKey(day)), ':from': from, ':to': horizon,
            ':nowSeconds': Math.floor((options.now ?? Date.now()) / 1000),
          },
          Limit: options.limit - events.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }));
        for (const item of result.Items ?? []) {
          const event = toWebhookEvent(item as unknown as StoredEvent);
          position = String(item.id);
          if (event) events.push(event);
        }
        startKey = result.LastEvaluatedKey;
      } while (startKey && events.length < options.limit);

      if (events.length >= options.limit) return { ...page(), caughtUp: false };
      // This day is over and settled, and all of it has been read.
      if (day < lastDay) position = idCeiling('ev', day + DAY_MS - 1);
    }

    return { ...page(), caughtUp: true };
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
