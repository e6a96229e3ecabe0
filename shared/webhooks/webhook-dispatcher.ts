import type { EventFeed } from '../events/event-feed.js';
import { type StoredEvent, toWebhookEvent } from '../events/webhook-event.js';
import type { Logger } from '../log/logger.js';
import { deliveryExpiry, deliveryItem } from './delivery-record.js';
import type { EndpointCache } from './endpoint-cache.js';

type UndispatchedEvent = StoredEvent & { pk: string; sk: string; expiresAt?: number };

interface Handover {
  event: UndispatchedEvent;
  deliveries: Array<Record<string, unknown>>;
}

export interface DispatcherOptions {
  feed: EventFeed;
  endpoints: EndpointCache;
  logger: Logger;
  retentionDays: number;
  retryWindowMs: number;
  /** Events read from each dispatch shard per round. */
  pageSize?: number;
  /** Rounds per call; what is left waits for the next call. */
  maxRounds?: number;
}

export interface DispatchCounts {
  events: number;
  deliveries: number;
}

/** DynamoDB's cap on items in one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;
const DEFAULT_PAGE_SIZE = 50;
const DEFAULT_MAX_ROUNDS = 20;
/**
 * The index is read through a GSI, which lags the table by up to a second or so: an event
 * handed over a moment ago can still be listed. Those are skipped for this long.
 */
const INDEX_LAG_MS = 10_000;

/**
 * Hands new events to the endpoints subscribed to them: one delivery item per (event,
 * endpoint), written in the same transaction that takes the event out of the dispatch
 * index, so an event is handed over exactly once even with several dispatchers running.
 * Events nobody subscribes to leave the index the same way, a hundred to a call.
 */
export class WebhookDispatcher {
  private readonly pageSize: number;
  private readonly maxRounds: number;
  /** Events this dispatcher handed over lately, by id, with when. */
  private readonly handedOver = new Map<string, number>();

  constructor(private readonly options: DispatcherOptions) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  }

  async dispatch(now = new Date()): Promise<DispatchCounts> {
    const counts: DispatchCounts = { events: 0, deliveries: 0 };

    this.forgetOld(now.getTime());

    for (let round = 0; round < this.maxRounds; round++) {
      const listed = await this.options.feed.undispatched(this.pageSize) as UndispatchedEvent[];
      const events = listed.filter((event) => !this.handedOver.has(event.id));
      if (events.length === 0) break;

      const handovers = await Promise.all(events.map((event) => this.handover(event, now)));
      for (const chunk of chunks(handovers)) {
        const done = await this.markDispatched(chunk);
        counts.events += done.length;
        counts.deliveries += done.reduce((sum, handover) => sum + handover.deliveries.length, 0);
        for (const handover of done) this.handedOver.set(handover.event.id, now.getTime());
      }

      // A short page means every shard was read to its end.
      if (listed.length < this.pageSize) break;
    }
    return counts;
  }

  private forgetOld(now: number): void {
    for (const [id, at] of this.handedOver) {
      if (now - at > INDEX_LAG_MS) this.handedOver.delete(id);
    }
  }

  private async handover(event: UndispatchedEvent, now: Date): Promise<Handover> {
    const payload = toWebhookEvent(event);
    // An expired event is still taken out of the index, but nobody is told about it.
    const expired = event.expiresAt !== undefined && event.expiresAt * 1000 <= now.getTime();
    if (!payload || expired) return { event, deliveries: [] };

    const subscribed = (await this.options.endpoints.all(event.accountId))
      .filter((endpoint) =>
        endpoint.status === 'enabled' && endpoint.events.includes(payload.type));
    if (subscribed.length >= MAX_TRANSACTION_ITEMS) {
      this.options.logger.error('event has more subscribers than one transaction holds', {
        eventId: event.id, endpoints: subscribed.length,
      });
    }

    const body = JSON.stringify(payload);
    const expiresAt = deliveryExpiry(now, this.options.retentionDays, this.options.retryWindowMs);
    return {
      event,
      deliveries: subscribed.slice(0, MAX_TRANSACTION_ITEMS - 1).map((endpoint) => deliveryItem({
        accountId: event.accountId,
        endpointId: endpoint.id,
        event: payload,
        payload: body,
        now,
        expiresAt,
      })),
    };
  }

  /**
   * One transaction per chunk. When it fails, another dispatcher took at least one of its
   * events; the events are then tried one by one so the others still go out now.
   */
  private async markDispatched(chunk: Handover[]): Promise<Handover[]> {
    const { feed } = this.options;
    if (await feed.markDispatched(chunk)) return chunk;

    const done: Handover[] = [];
    for (const handover of chunk) {
      if (await feed.markDispatched([handover])) done.push(handover);
      // Taken by another dispatcher, or by this one a moment ago: not to be tried again.
      else this.handedOver.set(handover.event.id, Date.now());
    }
    return done;
  }
}

/** Consecutive handovers, each chunk within one transaction's item limit. */
function chunks(handovers: Handover[]): Handover[][] {
  const out: Handover[][] = [];
  let current: Handover[] = [];
  let items = 0;
  for (const handover of handovers) {
    const size = 1 + handover.deliveries.length;
    if (items + size > MAX_TRANSACTION_ITEMS && current.length > 0) {
      out.push(current);
      current = [];
      items = 0;
    }
    current.push(handover);
    items += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
