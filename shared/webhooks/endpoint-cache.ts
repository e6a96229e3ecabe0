import type { EndpointStore } from './endpoint-store.js';
import type { WebhookEndpoint } from './webhook-endpoint.js';

/** How long a loaded list of endpoints is used before it is read again. */
export const ENDPOINT_CACHE_MS = 5_000;

interface Snapshot {
  loadedAt: number;
  endpoints: Map<string, WebhookEndpoint>;
}

/**
 * The endpoints of each account, read once per few seconds instead of once per event.
 * The price is that a new endpoint, or a change to one, takes up to that long to apply.
 * Changes this process makes itself (a failure run, a disable) are applied at once.
 */
export class EndpointCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly loading = new Map<string, Promise<Snapshot>>();

  constructor(
    private readonly store: EndpointStore,
    private readonly ttlMs: number = ENDPOINT_CACHE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Every endpoint of the account, enabled or not. */
  async all(accountId: string): Promise<WebhookEndpoint[]> {
    return [...(await this.snapshot(accountId)).endpoints.values()];
  }

  /**
   * One endpoint. `seenAfter` asks for a list read after that time: a delivery made after
   * the cached read may belong to an endpoint the cache has not seen yet.
   */
  async get(
    accountId: string,
    id: string,
    seenAfter?: number,
  ): Promise<WebhookEndpoint | undefined> {
    let snapshot = await this.snapshot(accountId);
    if (seenAfter !== undefined && snapshot.loadedAt <= seenAfter && !snapshot.endpoints.has(id)) {
      snapshot = await this.snapshot(accountId, true);
    }
    return snapshot.endpoints.get(id);
  }

  /** Reads the account's endpoints again now. */
  async refresh(accountId: string): Promise<void> {
    await this.snapshot(accountId, true);
  }

  /** Applies a change this process wrote, so it does not wait for the next read. */
  patch(accountId: string, id: string, changes: Partial<WebhookEndpoint>): void {
    const endpoint = this.snapshots.get(accountId)?.endpoints.get(id);
    if (!endpoint) return;

    const patched: Record<string, unknown> = { ...endpoint, ...changes };
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete patched[name];
    }
    this.snapshots.get(accountId)?.endpoints.set(id, patched as unknown as WebhookEndpoint);
  }

  private async snapshot(accountId: string, fresh = false): Promise<Snapshot> {
    const cached = this.snapshots.get(accountId);
    if (!fresh && cached && this.clock() - cached.loadedAt < this.ttlMs) return cached;

    // Concurrent callers share one read.
    const running = this.loading.get(accountId);
    if (running) return running;

    const loadedAt = this.clock();
    const load = this.store.listAll(accountId)
      .then((endpoints) => {
        const snapshot = { loadedAt, endpoints: new Map(endpoints.map((e) => [e.id, e])) };
        this.snapshots.set(accountId, snapshot);
        return snapshot;
      })
      .finally(() => this.loading.delete(accountId));
    this.loading.set(accountId, load);
    return load;
  }
}
