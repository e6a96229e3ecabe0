/**
 * A small pool of SMTP connections to one relay. It reuses idle connections, caps how many
 * are open at once and how many messages go over each, and hands connections out in the
 * order they were asked for. It never sends anything again by itself: when a send fails,
 * the caller decides what happens to the message.
 */
import { silentLogger, type Logger } from '../log/logger.js';
import {
  SmtpSession,
  type RelayEndpoint,
  type SmtpSessionOptions,
  type SmtpTimeouts,
} from './smtp-session.js';

export interface RelayPoolOptions {
  /** Connections open at once, including ones being opened or closed. */
  maxConnections?: number;
  /** Transactions on one connection before it is closed and a fresh one opened. */
  maxMessagesPerConnection?: number;
  /** How long an unused connection stays open. */
  idleMs?: number;
  logger?: Logger;
  timeouts?: Partial<SmtpTimeouts>;
}

export interface ReleaseOptions {
  /** False closes the connection instead of keeping it for the next message. */
  reusable: boolean;
}

export const DEFAULT_MAX_CONNECTIONS = 2;
export const DEFAULT_MAX_MESSAGES_PER_CONNECTION = 100;
/** Relays drop idle clients after a while (Postfix after 300 s); close well before that. */
export const DEFAULT_IDLE_MS = 30_000;

interface IdleEntry {
  session: SmtpSession;
  timer: NodeJS.Timeout;
}

interface Waiter {
  resolve: (session: SmtpSession) => void;
  reject: (error: unknown) => void;
}

export class RelayPool {
  private readonly relay: RelayEndpoint;
  private readonly maxConnections: number;
  private readonly maxMessages: number;
  private readonly idleMs: number;
  private readonly logger: Logger;
  private readonly sessionOptions: SmtpSessionOptions;
  private readonly idle: IdleEntry[] = [];
  private readonly busy = new Set<SmtpSession>();
  private readonly waiters: Waiter[] = [];
  private pending = 0;
  private closed = false;

  constructor(relay: RelayEndpoint, options: RelayPoolOptions = {}) {
    this.relay = relay;
    this.maxConnections = Math.max(1, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    this.maxMessages = Math.max(
      1,
      options.maxMessagesPerConnection ?? DEFAULT_MAX_MESSAGES_PER_CONNECTION,
    );
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.logger = (options.logger ?? silentLogger).child({ relay: relay.name });
    this.sessionOptions = { logger: options.logger ?? silentLogger };
    if (options.timeouts) this.sessionOptions.timeouts = options.timeouts;
  }

  /** Connections open, being opened or being closed. */
  get size(): number {
    return this.idle.length + this.busy.size + this.pending;
  }

  /** An idle connection, a new one while under the limit, or the next one released. */
  async acquire(): Promise<SmtpSession> {
    if (this.closed) throw new Error(`relay pool ${this.relay.name} is closed`);

    const reused = this.takeIdle();
    if (reused) return reused;
    // Callers already waiting go first, so a slot that just came free is not jumped.
    if (this.waiters.length === 0 && this.size < this.maxConnections) return this.openSession();

    return new Promise<SmtpSession>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Gives a connection back. One with an unfinished transaction is reset first (RFC 5321
   * section 4.1.1.5); one that is unusable, worn out or not reusable is closed.
   */
  async release(session: SmtpSession, options: ReleaseOptions): Promise<void> {
    if (!this.busy.delete(session)) return;

    const keep =
      options.reusable &&
      !this.closed &&
      session.usable &&
      session.transactionCount < this.maxMessages;
    if (keep && session.needsReset) await session.reset().catch(() => session.close());

    if (!keep || !session.usable) {
      await this.retire(session);
      return;
    }

    const waiter = this.waiters.shift();
    if (waiter) {
      this.busy.add(session);
      waiter.resolve(session);
      return;
    }

    const timer = setTimeout(() => void this.expire(session), this.idleMs);
    timer.unref();
    this.idle.push({ session, timer });
  }

  /** Runs `fn` on a pooled connection and gives the connection back however `fn` ends. */
  async withSession<T>(fn: (session: SmtpSession) => Promise<T>): Promise<T> {
    const session = await this.acquire();

    try {
      return await fn(session);
    } finally {
      // A failed send leaves the connection either closed or ready after RSET; release
      // sorts out which, and nothing is sent again.
      await this.release(session, { reusable: session.usable });
    }
  }

  /** QUITs idle connections and closes the rest as they come back. */
  async close(): Promise<void> {
    this.closed = true;

    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(new Error(`relay pool ${this.relay.name} is closed`));
    }

    const idle = this.idle.splice(0);
    await Promise.all(
      idle.map(({ session, timer }) => {
        clearTimeout(timer);
        return session.quit();
      }),
    );
  }

  private takeIdle(): SmtpSession | undefined {
    // The most recently used connection first, so surplus ones reach their idle timeout.
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      clearTimeout(entry.timer);
      if (entry.session.usable) {
        this.busy.add(entry.session);
        return entry.session;
      }

      // The relay closed it while it sat idle; it is gone and frees its slot.
      entry.session.close();
    }
    return undefined;
  }

  private async openSession(): Promise<SmtpSession> {
    this.pending += 1;

    try {
      const session = await SmtpSession.open(this.relay, this.sessionOptions);
      this.busy.add(session);
      this.logger.debug('smtp connection opened', { connections: this.size });
      return session;
    } catch (error) {
      // Opening fails only for relay-level reasons, which the callers waiting behind this
      // one would meet too: fail them now rather than knock on the relay once for each.
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
      throw error;
    } finally {
      this.pending -= 1;
    }
  }

  /** Closes a connection; its slot counts as taken until the QUIT is done. */
  private async retire(session: SmtpSession): Promise<void> {
    this.pending += 1;

    try {
      await session.quit();
    } finally {
      this.pending -= 1;
      this.serveWaiter();
    }
  }

  private async expire(session: SmtpSession): Promise<void> {
    const index = this.idle.findIndex((entry) => entry.session === session);
    if (index === -1) return;

    this.idle.splice(index, 1);
    await this.retire(session);
  }

  /** A slot came free: open a connection for the first waiter, if any. */
  private serveWaiter(): void {
    if (this.closed || this.size >= this.maxConnections) return;

    const waiter = this.waiters.shift();
    if (!waiter) return;

    this.openSession().then(waiter.resolve, waiter.reject);
  }
}
