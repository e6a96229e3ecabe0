import type { Logger } from '../log/logger.js';
import type { WebhookDelivery } from './deliver-webhook.js';
import type { EndpointCache } from './endpoint-cache.js';
import type { EndpointStore } from './endpoint-store.js';
import type { WebhookEndpoint } from './webhook-endpoint.js';

export interface EndpointHealthOptions {
  store: EndpointStore;
  cache: EndpointCache;
  logger: Logger;
  /** How long every attempt must have failed before the endpoint is disabled. */
  disableAfterMs: number;
}

/**
 * Tracks each endpoint's current run of failures (`failingSince`) and disables an endpoint
 * once the run has lasted `disableAfterMs`. The endpoint item is written only when the run
 * starts, ends or reaches the limit, never per attempt; the cached endpoint says which.
 */
export class EndpointHealth {
  constructor(private readonly options: EndpointHealthOptions) {}

  async record(endpoint: WebhookEndpoint, result: WebhookDelivery, at: Date): Promise<void> {
    const { store, cache } = this.options;
    const current = (await cache.get(endpoint.accountId, endpoint.id)) ?? endpoint;

    if (result.ok) {
      if (!current.failingSince) return;
      cache.patch(endpoint.accountId, endpoint.id, { failingSince: undefined });
      await store.markHealthy(endpoint);
      return;
    }

    let since = current.failingSince;
    if (!since) {
      // Marked in the cache first, so attempts finishing together write it once.
      cache.patch(endpoint.accountId, endpoint.id, { failingSince: at.toISOString() });
      since = (await store.markFailing(endpoint, at)) ?? at.toISOString();
      cache.patch(endpoint.accountId, endpoint.id, { failingSince: since });
    }

    const limit = new Date(at.getTime() - this.options.disableAfterMs).toISOString();
    if (since > limit || current.status !== 'enabled') return;

    const reason = `every delivery attempt since ${since} failed `
      + `(for more than ${describeDuration(this.options.disableAfterMs)}); `
      + `the last one: ${result.error ?? 'no answer'}`;
    if (await store.disable(endpoint, reason, limit, at)) {
      cache.patch(endpoint.accountId, endpoint.id, {
        status: 'disabled', disabledAt: at.toISOString(), disabledReason: reason,
      });
      this.options.logger.warn('webhook endpoint disabled', { endpointId: endpoint.id, reason });
    }
  }
}

function describeDuration(ms: number): string {
  const hours = ms / 3600_000;
  if (hours >= 24 && hours % 24 === 0) return `${hours / 24} days`;
  if (hours >= 1) return `${Math.round(hours * 10) / 10} hours`;
  return `${Math.round(ms / 1000)} seconds`;
}
