import type { RelayConfig } from '../config/relay-config.js';
import type { Logger } from '../log/logger.js';
import { isRelayLevelFailure } from '../smtp/classify.js';
import { RelayPool } from '../smtp/relay-pool.js';
import { formatReply } from '../smtp/reply.js';
import { SmtpError } from '../smtp/smtp-error.js';
import type {
  Envelope, SmtpTimeouts, TransactionHooks, TransactionResult,
} from '../smtp/smtp-session.js';
import type { AttemptResult, FailedRelay } from './attempt-outcome.js';
import type { RelayHealth } from './relay-health.js';
import type { RelayRateLimiter } from './relay-rate-limit.js';

/** Thrown by a `beforeFinalDot` hook to abandon a transaction on purpose. */
export class AttemptAborted extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`attempt abandoned before the final dot: ${reason}`, options);
    this.name = 'AttemptAborted';
  }
}

export interface RouterOptions {
  logger: Logger;
  /** Shared circuit breakers and rate limits; each worker on its own when absent. */
  health?: RelayHealth;
  rateLimiter?: RelayRateLimiter;
  timeouts?: Partial<SmtpTimeouts>;
  maxMessagesPerConnection?: number;
  idleMs?: number;
}

const DEFAULT_MESSAGES_PER_CONNECTION = 100;
const DEFAULT_IDLE_MS = 30_000;

/**
 * Sends one transaction through the configured relays in priority order. A failure that
 * belongs to the relay (connection, TLS, AUTH, 421) moves the message to the next relay at
 * once; a failure that belongs to the message is returned for the caller to judge.
 */
export class RelayRouter {
  private readonly pools: Array<{ relay: RelayConfig; pool: RelayPool }>;

  constructor(relays: RelayConfig[], private readonly options: RouterOptions) {
    this.pools = [...relays]
      .sort((a, b) => a.priority - b.priority)
      .map((relay) => ({
        relay,
        pool: new RelayPool(relay, {
          maxConnections: relay.maxConnections,
          maxMessagesPerConnection:
            options.maxMessagesPerConnection ?? DEFAULT_MESSAGES_PER_CONNECTION,
          idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
          logger: options.logger,
          ...(options.timeouts ? { timeouts: options.timeouts } : {}),
        }),
      }));
  }

  async send(envelope: Envelope, message: Buffer, hooks: TransactionHooks): Promise<AttemptResult> {
    const started = Date.now();
    let last: AttemptResult | undefined;
    const failedOver: FailedRelay[] = [];

    const candidates = [];
    for (const entry of this.pools) {
      if (!this.health || await this.health.available(entry.relay.name)) candidates.push(entry);
    }
    if (candidates.length === 0) {
      // Every relay is resting after repeated failures: waiting is kinder than knocking.
      return { kind: 'aborted', reason: 'relay_unavailable', relay: undefined,
        durationMs: Date.now() - started };
    }

    for (const [index, { relay, pool }] of candidates.entries()) {
      const attempt = await this.sendVia(relay, pool, envelope, message, hooks, started);
      const relayFailed = attempt.kind === 'error'
        ? !attempt.error.finalDotWritten && isRelayLevelFailure(attempt.error)
        : attempt.kind === 'transaction' && closedWithoutDelivery(attempt.result);
      if (relayFailed) await this.health?.recordFailure(relay.name);
      else if (attempt.kind === 'transaction') await this.health?.recordSuccess(relay.name);

      last = attempt;
      const more = index < candidates.length - 1;
      if (attempt.kind === 'aborted' || !relayFailed || !more) break;
      failedOver.push(failedRelay(relay.name, attempt));
      this.options.logger.warn('relay failed; trying the next one', {
        relay: relay.name,
        ...(attempt.kind === 'error'
          ? { phase: attempt.error.phase, kind: attempt.error.kind }
          : { replyCode: 421 }),
      });
    }

    return { ...(last as AttemptResult), ...(failedOver.length ? { failedOver } : {}) };
  }

  private get health(): RelayHealth | undefined {
    return this.options.health;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map(({ pool }) => pool.close()));
  }

  private async sendVia(
    relay: RelayConfig,
    pool: RelayPool,
    envelope: Envelope,
    message: Buffer,
    hooks: TransactionHooks,
    started: number,
  ): Promise<AttemptResult> {
    let session;
    try {
      session = await pool.acquire();
    } catch (error) {
      return failure(error, relay.name, started);
    }
    // The permit is taken with the connection in hand, right before MAIL FROM: taken any
    // earlier, messages waiting for a connection would go out together when one frees up.
    try {
      await this.options.rateLimiter?.take(relay.name, relay.maxPerSecond);
    } catch (error) {
      pool.release(session, { reusable: session.usable });
      throw error;
    }

    try {
      const result = await session.send(envelope, message, hooks);
      pool.release(session, { reusable: session.usable });
      return { kind: 'transaction', result };
    } catch (error) {
      pool.release(session, { reusable: false });
      const aborted = findAbort(error);
      if (aborted) {
        return { kind: 'aborted', reason: aborted.reason, relay: relay.name,
          durationMs: Date.now() - started };
      }
      return failure(error, relay.name, started);
    }
  }
}

function failedRelay(relay: string, attempt: AttemptResult): FailedRelay {
  if (attempt.kind === 'error') {
    const reply = attempt.error.reply;
    return {
      relay,
      phase: attempt.error.phase,
      ...(reply ? { replyCode: reply.code, reply: formatReply(reply) } : {}),
    };
  }
  const reply = attempt.kind === 'transaction'
    ? attempt.result.dataReply ?? attempt.result.recipients.find((r) => r.reply.code === 421)?.reply
    : undefined;
  const phase = attempt.kind === 'transaction' && attempt.result.dataReply ? 'data' : 'rcpt';
  return { relay, phase, ...(reply ? { replyCode: reply.code, reply: formatReply(reply) } : {}) };
}

/**
 * A 421 anywhere in a transaction means the relay is closing the channel (RFC 5321 section
 * 3.8) and took nothing: the message belongs to no relay yet, so the next one may have it.
 */
function closedWithoutDelivery(result: TransactionResult): boolean {
  if (result.dataReply && result.dataReply.code < 400) return false;
  return result.dataReply?.code === 421 || result.recipients.some((r) => r.reply.code === 421);
}

function failure(error: unknown, relay: string, started: number): AttemptResult {
  const smtpError = error instanceof SmtpError
    ? error
    : new SmtpError('unexpected failure while talking to the relay', {
      phase: 'connect',
      kind: 'connection',
      relay,
      cause: error,
    });
  return { kind: 'error', error: smtpError, relay, durationMs: Date.now() - started };
}

function findAbort(error: unknown): AttemptAborted | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    if (current instanceof AttemptAborted) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}
