import { randomBytes } from 'node:crypto';

import type { EventFeed } from '../events/event-feed.js';
import { encodeEventCursor } from '../events/webhook-event.js';
import { idFloor } from '../ids/new-id.js';
import { deliveryExpiry, deliveryItem } from './delivery-record.js';
import type { DeliveryStore } from './delivery-store.js';
import type { WebhookEndpoint } from './webhook-endpoint.js';

/** Deliveries one replay call makes at most; `nextCursor` continues from there. */
export const MAX_REPLAY_DELIVERIES = 1000;
/** Events one replay call reads at most, so a rare event type cannot make it run long. */
export const MAX_REPLAY_SCANNED = 5000;
const FEED_PAGE = 100;

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
  // Older events have expired; starting at the retention edge spares the feed a query for
  // every day between an ancient cursor and it.
  const oldest = idFloor('ev', now.getTime() - options.retentionDays * 86_400_000);
  let afterId = options.afterId < oldest ? oldest : options.afterId;
  let scanned = 0;
  let reachedEnd = false;

  pages: while (scanned < MAX_REPLAY_SCANNED) {
    const limit = Math.min(FEED_PAGE, MAX_REPLAY_SCANNED - scanned);
    const page = await options.feed.list(endpoint.accountId, {
      afterId, fromTime: now.getTime(), limit, now: now.getTime(),
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
    if (page.events.length < limit) {
      reachedEnd = true;
      break;
    }
  }

  await options.deliveries.putAll(items);
  return { queued: items.length, nextCursor: reachedEnd ? null : encodeEventCursor(afterId) };
}
