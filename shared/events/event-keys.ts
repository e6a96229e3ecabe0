import { idTime } from '../ids/new-id.js';

/**
 * Where events live besides their email's timeline:
 * - the account's feed: gsi1 partition `A#<acct>#EV#<UTC day>`, sorted by event id (ids
 *   are time-ordered), read by `GET /v1/events`;
 * - the dispatch index: gsi2 partition `wh#<shard>` holds events not yet handed to webhook
 *   endpoints; the dispatcher removes each one once its deliveries exist.
 */
export const DISPATCH_SHARDS = 2;

export const feedPk = (accountId: string, day: string) => `A#${accountId}#EV#${day}`;

export function feedDay(eventId: string): string {
  return new Date(idTime(eventId)).toISOString().slice(0, 10);
}

export function dispatchShard(eventId: string): string {
  let hash = 0;
  for (const char of eventId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `wh#${hash % DISPATCH_SHARDS}`;
}
