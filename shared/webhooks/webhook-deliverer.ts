import type { Logger } from '../log/logger.js';
import type { DeliveryLogEntry } from './delivery-log.js';
import type { DeliveryRecord } from './delivery-record.js';
import type { AttemptOutcome, DeliveryStore } from './delivery-store.js';
import {
  type ConnectFunction, deliverWebhook, WEBHOOK_TIMEOUT_MS, type WebhookDelivery,
} from './deliver-webhook.js';
import type { EndpointCache } from './endpoint-cache.js';
import { EndpointHealth } from './endpoint-health.js';
import type { EndpointStore } from './endpoint-store.js';
import { retryDelayMs } from './retry-schedule.js';
import { activeSecrets, type WebhookEndpoint } from './webhook-endpoint.js';
import { webhookHeaders } from './webhook-signature.js';
import type { HostResolver } from './webhook-url-policy.js';

export interface DelivererOptions {
  deliveries: DeliveryStore;
  endpoints: EndpointCache;
  endpointStore: EndpointStore;
  logger: Logger;
  allowPrivate: boolean;
  resolve: HostResolver;
  /** Seconds between attempts; see config `webhookRetrySchedule`. */
  retrySchedule: readonly number[];
  disableAfterMs: number;
  timeoutMs?: number;
  /** Attempts in flight at once in this process. */
  concurrency?: number;
  /** Attempts in flight at once to one endpoint, so one slow receiver cannot take them all. */
  perEndpoint?: number;
  connect?: ConnectFunction;
  random?: () => number;
}

const DEFAULT_CONCURRENCY = 32;
const DEFAULT_PER_ENDPOINT = 8;
/** Due deliveries read per shard each time; more than the slots, so busy endpoints skip. */
const DUE_PAGE = 100;
/** Beyond the request's own timeout: the time to write the outcome. */
const LEASE_MARGIN_MS = 30_000;

interface Target {
  delivery: DeliveryRecord;
  endpoint: WebhookEndpoint;
}

/**
 * Posts due deliveries to their endpoints, a bounded number at a time. `startDue` reads
 * what is due into a backlog and starts what the free slots allow; each finished attempt
 * starts the next from the backlog, so throughput follows the receivers' speed rather than
 * how often the index is read. A receiver that takes its full timeout holds its slots, at
 * most `perEndpoint` of them, and nothing else; `idle` waits for what is in flight.
 */
export class WebhookDeliverer {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perEndpointCount = new Map<string, number>();
  private readonly health: EndpointHealth;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly perEndpoint: number;
  private backlog: Target[] = [];
  /** Slots taken by claims still being written. */
  private claiming = 0;
  private starting = false;
  /** Set by `drain`: no attempt starts after it, those in flight finish. */
  private draining = false;
  /** The earliest retry this process scheduled and has not seen come due; for wake-ups. */
  soonestRetryAt: number | undefined;
  /** Attempts started since this deliverer was made. */
  attemptsStarted = 0;

  constructor(private readonly options: DelivererOptions) {
    this.timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.perEndpoint = options.perEndpoint ?? DEFAULT_PER_ENDPOINT;
    this.health = new EndpointHealth({
      store: options.endpointStore,
      cache: options.endpoints,
      logger: options.logger,
      disableAfterMs: options.disableAfterMs,
    });
  }

  get running(): number {
    return this.inFlight.size;
  }

  /** Reads what is due and starts as much as the free slots allow; gives how many started. */
  async startDue(now = new Date()): Promise<number> {
    if (this.draining || this.starting || this.busy() >= this.concurrency) return 0;

    this.starting = true;
    try {
      if (this.soonestRetryAt !== undefined && this.soonestRetryAt <= now.getTime()) {
        this.soonestRetryAt = undefined;
      }
      const due = await this.options.deliveries.findDue(now, DUE_PAGE);
      const targets = await this.targets(due, now);
      // A fresh read replaces the backlog: what it no longer lists was done elsewhere.
      this.backlog = targets.filter(({ delivery }) => !this.inFlight.has(key(delivery)));
      return await this.pump();
    } finally {
      this.starting = false;
    }
  }

  /**
   * Starts nothing more, then waits for the attempts in flight. What was still in the
   * backlog stays due in the table, for the next process to find.
   */
  async drain(): Promise<void> {
    this.draining = true;
    this.backlog = [];
    await this.idle();
  }

  /** Waits until every attempt started so far, and those they start, have finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.claiming > 0) {
      await Promise.allSettled([...this.inFlight.values()]);
      if (this.claiming > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private busy(): number {
    return this.inFlight.size + this.claiming;
  }

  /** Claims backlog entries for the free slots and starts the attempts it won. */
  private async pump(): Promise<number> {
    if (this.draining) return 0;
    const chosen = this.choose(this.concurrency - this.busy());
    if (chosen.length === 0) return 0;

    this.claiming += chosen.length;
    const leaseUntil = new Date(Date.now() + this.timeoutMs + LEASE_MARGIN_MS);
    let claimed: Array<DeliveryRecord | undefined>;
    try {
      claimed = await Promise.all(chosen.map(({ delivery }) =>
        this.options.deliveries.claim(delivery, leaseUntil)));
    } catch (error) {
      for (const { endpoint } of chosen) this.release(endpoint.id);
      throw error;
    } finally {
      this.claiming -= chosen.length;
    }

    let started = 0;
    chosen.forEach(({ endpoint }, index) => {
      const delivery = claimed[index];
      if (!delivery) return this.release(endpoint.id);
      this.launch(delivery, endpoint);
      started++;
      this.attemptsStarted++;
    });
    return started;
  }

  /** Takes up to `free` entries off the backlog, skipping endpoints at their limit. */
  private choose(free: number): Target[] {
    const chosen: Target[] = [];
    const rest: Target[] = [];
    for (const target of this.backlog) {
      const count = this.perEndpointCount.get(target.endpoint.id) ?? 0;
      if (chosen.length >= free || count >= this.perEndpoint) {
        rest.push(target);
      } else if (!this.inFlight.has(key(target.delivery))) {
        this.perEndpointCount.set(target.endpoint.id, count + 1);
        chosen.push(target);
      }
    }
    this.backlog = rest;
    return chosen;
  }

  /**
   * Pairs due deliveries with their endpoints. Those whose endpoint is gone or disabled are
   * dropped, after reading the endpoints again: the cache may predate a change.
   */
  private async targets(
    due: DeliveryRecord[],
    now: Date,
  ): Promise<Target[]> {
    const { endpoints } = this.options;
    const lookup = (delivery: DeliveryRecord) =>
      endpoints.get(delivery.accountId, delivery.endpointId, Date.parse(delivery.createdAt));
    const found = await Promise.all(due.map(async (delivery) => ({
      delivery,
      endpoint: await lookup(delivery),
    })));

    const stale = found.filter(({ endpoint }) => endpoint?.status !== 'enabled');
    const accounts = new Set(stale.map(({ delivery }) => delivery.accountId));
    await Promise.all([...accounts].map((accountId) => endpoints.refresh(accountId)));

    const out: Target[] = [];
    for (const entry of found) {
      const endpoint = accounts.has(entry.delivery.accountId) ? await lookup(entry.delivery)
        : entry.endpoint;
      if (endpoint?.status === 'enabled') {
        out.push({ delivery: entry.delivery, endpoint });
      } else if (!this.inFlight.has(key(entry.delivery))) {
        const reason = endpoint ? 'endpoint disabled' : 'endpoint deleted';
        await this.options.deliveries.cancel(entry.delivery, reason, now);
      }
    }
    return out;
  }

  private launch(delivery: DeliveryRecord, endpoint: WebhookEndpoint): void {
    const id = key(delivery);
    const attempt = this.attempt(delivery, endpoint)
      .catch((error: unknown) => {
        // The lease brings the delivery back; nothing is lost by giving up here.
        this.options.logger.error('webhook attempt failed unexpectedly', {
          endpointId: endpoint.id, eventId: delivery.eventId, error,
        });
      })
      .finally(() => {
        this.inFlight.delete(id);
        this.release(endpoint.id);
        this.pump().catch((error: unknown) => {
          this.options.logger.error('starting webhook attempts failed', { error });
        });
      });
    this.inFlight.set(id, attempt);
  }

  private release(endpointId: string): void {
    const count = (this.perEndpointCount.get(endpointId) ?? 1) - 1;
    if (count > 0) this.perEndpointCount.set(endpointId, count);
    else this.perEndpointCount.delete(endpointId);
  }

  private async attempt(delivery: DeliveryRecord, claimedFor: WebhookEndpoint): Promise<void> {
    const { options } = this;
    const started = new Date();
    // The backlog may be a little old: the endpoint can have been disabled since.
    const endpoint = await options.endpoints.get(delivery.accountId, delivery.endpointId)
      ?? claimedFor;
    if (endpoint.status !== 'enabled') {
      await options.deliveries.cancel(delivery, 'endpoint disabled', started);
      return;
    }

    const headers = webhookHeaders({
      id: delivery.eventId,
      timestamp: Math.floor(started.getTime() / 1000),
      body: delivery.payload,
      secrets: activeSecrets(endpoint, started),
    });
    const result = await deliverWebhook({
      url: endpoint.url,
      headers,
      body: delivery.payload,
      allowPrivate: options.allowPrivate,
      resolve: options.resolve,
      timeoutMs: this.timeoutMs,
      ...(options.connect ? { connect: options.connect } : {}),
    });

    const finished = new Date();
    const outcome = this.outcome(delivery, result, finished);
    await options.deliveries.settle(delivery, outcome, logEntry(delivery, result, started));
    options.logger.info('webhook attempt', {
      endpointId: endpoint.id,
      eventId: delivery.eventId,
      attempt: delivery.attempts,
      ok: result.ok,
      ...(result.status !== undefined ? { statusCode: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
      durationMs: result.durationMs,
      ...(outcome.nextAt ? { nextAt: outcome.nextAt } : {}),
    });
    await this.health.record(endpoint, result, finished);
  }

  private outcome(delivery: DeliveryRecord, result: WebhookDelivery, at: Date): AttemptOutcome {
    const common = {
      at: at.toISOString(),
      ...(result.status !== undefined ? { statusCode: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
    if (result.ok) return { status: 'delivered', ...common };

    const delay = retryDelayMs(delivery.attempts, this.options.retrySchedule, this.options.random);
    if (delay === undefined) return { status: 'failed', ...common };

    const nextAt = at.getTime() + delay;
    this.soonestRetryAt = Math.min(this.soonestRetryAt ?? Infinity, nextAt);
    return { status: 'pending', nextAt: new Date(nextAt).toISOString(), ...common };
  }
}

function logEntry(
  delivery: DeliveryRecord,
  result: WebhookDelivery,
  at: Date,
): DeliveryLogEntry {
  return {
    at: at.toISOString(),
    kind: 'attempt',
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    attempt: delivery.attempts,
    ok: result.ok,
    ...(result.status !== undefined ? { statusCode: result.status } : {}),
    ...(result.error ? { error: result.error } : {}),
    durationMs: result.durationMs,
  };
}

const key = (delivery: DeliveryRecord) => `${delivery.pk}|${delivery.sk}`;
