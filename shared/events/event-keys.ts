import { idTime } from '../ids/new-id.js';

/**
 * Where events live besides their email's timeline:
 * - the account's feed: gsi1 partition `A#<acct>#EV#<UTC day>`, sorted by event id (ids
 *   are time-ordered), read by `GET /v1/events`;
 * - the dispatch index: gsi2 partition `wh#<shard>` holds events not yet handed to webhook
 *   endpoints; the dispatcher removes each one once its deliveries exist.
 */
export const DISPATCH_SHARDS = 2;
export const DAY_MS = 86_400_000;

export const feedPk = (accountId: string, day: string) => `A#${accountId}#EV#${day}`;

export function feedDay(eventId: string): string {
  return dayKey(idTime(eventId));
}

/** The UTC day of a time, as the feed's partition keys name it: `2026-12-04`. */
export function dayKey(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The first millisecond of the UTC day holding `time` (UTC days are all 86 400 s long). */
export function startOfDay(time: number): number {
  return Math.floor(time / DAY_MS) * DAY_MS;
}

export function dispatchShard(eventId: string): string {
  let hash = 0;
  for (const char of eventId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `wh#${hash % DISPATCH_SHARDS}`;
}
