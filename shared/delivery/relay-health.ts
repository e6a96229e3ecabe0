import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * A circuit breaker per relay, shared by every worker through the table: after
 * FAILURES_TO_OPEN relay-level failures in a row (connection, TLS, AUTH, 421) the relay is
 * left alone for a while, then one attempt probes it; each failed probe doubles the pause.
 * Workers read the shared state at most every CACHE_MS, and write only when a relay fails
 * or recovers, so a healthy relay costs no calls.
 *
 * | item          | pk               | sk |
 * | ------------- | ---------------- | -- |
 * | relay health  | RELAY#<name>     | H  |
 */
export const FAILURES_TO_OPEN = 5;
export const FIRST_OPEN_MS = 30_000;
export const MAX_OPEN_MS = 5 * 60_000;
const CACHE_MS = 5_000;
/**
 * Failures closer together than this count once: one refused connection fails every send
 * that was waiting for it, and that is one failure of the relay, not twenty.
 */
const DISTINCT_FAILURE_MS = 1_000;

export interface RelayState {
  failures: number;
  openUntil: number;
  openMs: number;
  lastFailureAt?: number;
}

const CLOSED: RelayState = { failures: 0, openUntil: 0, openMs: 0 };

export class RelayHealth {
  private cache = new Map<string, RelayState>();
  private readAt = 0;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly documents: DynamoDBDocumentClient | undefined,
    private readonly tableName: string,
    private readonly relays: string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a relay may be tried now: closed, or open but due for a probe. */
  async available(relay: string): Promise<boolean> {
    await this.refresh();
    return (this.cache.get(relay) ?? CLOSED).openUntil <= this.now();
  }

  async recordFailure(relay: string): Promise<void> {
    const state = this.cache.get(relay) ?? CLOSED;
    const now = this.now();
    if (state.lastFailureAt !== undefined && now - state.lastFailureAt < DISTINCT_FAILURE_MS) {
      return;
    }
    const failures = state.failures + 1;
    const opens = failures >= FAILURES_TO_OPEN;
    const openMs = opens ? Math.min(MAX_OPEN_MS, state.openMs ? state.openMs * 2 : FIRST_OPEN_MS)
      : state.openMs;
    const next = {
      failures, openMs, openUntil: opens ? now + openMs : state.openUntil, lastFailureAt: now,
    };
    this.cache.set(relay, next);
    await this.write(relay, next);
  }

  async recordSuccess(relay: string): Promise<void> {
    const state = this.cache.get(relay) ?? CLOSED;
    if (state.failures === 0 && state.openMs === 0) return;
    this.cache.set(relay, CLOSED);
    await this.write(relay, CLOSED);
  }

  private async refresh(): Promise<void> {
    if (!this.documents || this.now() - this.readAt < CACHE_MS) return;
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    await this.reading;
  }

  private async read(): Promise<void> {
    const documents = this.documents as DynamoDBDocumentClient;
    try {
      const result = await documents.send(new BatchGetCommand({
        RequestItems: {
          [this.tableName]: {
            Keys: this.relays.map((relay) => ({ pk: `RELAY#${relay}`, sk: 'H' })),
          },
        },
      }));
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const relay = String(item.pk).slice('RELAY#'.length);
        this.cache.set(relay, {
          failures: Number(item.failures ?? 0),
          openUntil: Number(item.openUntil ?? 0),
          openMs: Number(item.openMs ?? 0),
        });
      }
      this.readAt = this.now();
    } catch {
      // The breaker is advice: without the shared state, this worker's own view stands.
      this.readAt = this.now();
    }
  }

  private async write(relay: string, state: RelayState): Promise<void> {
    if (!this.documents) return;
    try {
      await this.documents.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `RELAY#${relay}`, sk: 'H' },
        UpdateExpression: 'SET failures = :failures, openUntil = :openUntil, openMs = :openMs',
        ExpressionAttributeValues: {
          ':failures': state.failures, ':openUntil': state.openUntil, ':openMs': state.openMs,
        },
      }));
    } catch {
      // As above: losing one update only makes the breaker a little slower to react.
    }
  }
}
