import { randomBytes } from 'node:crypto';

import type { EventFeed } from '../events/event-feed.js';
import { encodeEventCursor } from '../events/webhook-event.js';
import { deliveryExpiry, deliveryItem } from './delivery-record.js';
import type { DeliveryStore } from './delivery-store.js';
import type { WebhookEndpoint } from './webhook-endpoint.js';

/** Deliveries one replay call makes at most; `nextCursor` continues from there. */
export const MAX_REPLAY_DELIVERIES = 1000;
/** Events one replay call reads at most, so a rare event type cannot make it run long. */
export const MAX_REPLAY_SCANNED = 5000;
const FEED_PAGE = 100;
/**
 * Feed calls one replay makes at most: full pages reach MAX_REPLAY_SCANNED in 50, and each
 * further call passes up to MAX_FEED_DAYS days without events, so a cursor far behind costs
 * a bounded number of queries and gets a `nextCursor` to go on from.
 */
const MAX_REPLAY_READS = MAX_REPLAY_SCANNED / FEED_PAGE + 10;

export interface ReplayOptions {
  feed: EventFeed;
  deliveries: DeliveryStore;
  endpoint: WebhookEndpoint;
  afterId: string;
  retentionDays: number;
  retryWindowMs: number;
  now?: Date;
}

export interface ReplayResult {
  queued: number;
  /** Where to continue when the call stopped at a limit; null when it reached the end. */
  nextCursor: string | null;
}

/**
 * Sends settled events after a cursor to one endpoint again, as new deliveries with the
 * same event ids (receivers that already have an event can drop it by its `webhook-id`).
 * Only the endpoint's subscribed types are sent.
 */
export async function replayEvents(options: ReplayOptions): Promise<ReplayResult> {
  const { endpoint } = options;
  const now = options.now ?? new Date();
  const replay = `r${randomBytes(5).toString('hex')}`;
  const expiresAt = deliveryExpiry(now, options.retentionDays, options.retryWindowMs);
  const items: Array<Record<string, unknown>> = [];
  // Older events have expired; the feed goes on from the retention edge for older cursors.
  const notBefore = now.getTime() - options.retentionDays * 86_400_000;
  let afterId = options.afterId;
  let scanned = 0;
  let reachedEnd = false;

  pages: for (let reads = 0; scanned < MAX_REPLAY_SCANNED && reads < MAX_REPLAY_READS; reads++) {
    const limit = Math.min(FEED_PAGE, MAX_REPLAY_SCANNED - scanned);
    const page = await options.feed.list(endpoint.accountId, {
      afterId, fromTime: now.getTime(), notBefore, limit, now: now.getTime(),
    });
    for (const event of page.events) {
      if (items.length >= MAX_REPLAY_DELIVERIES) break pages;
      scanned++;
      afterId = event.id;
      if (!endpoint.events.includes(event.type)) continue;

      items.push(deliveryItem({
        accountId: endpoint.accountId,
        endpointId: endpoint.id,
        event,
        payload: JSON.stringify(event),
        now,
        expiresAt,
        replay,
      }));
    }
    // Past the last event when the feed also passed days without any.
    if (page.position) afterId = page.position;
    if (page.caughtUp) {
      reachedEnd = true;
      break;
    }
  }

  await options.deliveries.putAll(items);
  return { queued: items.length, nextCursor: reachedEnd ? null : encodeEventCursor(afterId) };
}
