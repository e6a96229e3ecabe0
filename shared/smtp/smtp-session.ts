/**
 * One SMTP connection to one relay. It always upgrades to TLS with certificate checks,
 * authenticates when credentials are configured, and sends one transaction at a time. It
 * never retries or re-queues anything itself: every outcome goes back to the caller, with
 * each RCPT reply and whether the final dot was written.
 */
import { createHmac } from 'node:crypto';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { domainToASCII } from 'node:url';
import { silentLogger, type Logger } from '../log/logger.js';
import {
  buildReply,
  extractQueueId,
  isPositive,
  ReplyParser,
  type SmtpReply,
} from './reply.js';
import { SmtpError, type SmtpErrorKind, type SmtpPhase } from './smtp-error.js';

export interface RelayEndpoint {
  name: string;
  host: string;
  port: number;
  /** Implicit TLS (smtps). When false the relay must offer STARTTLS. */
  secure: boolean;
  user?: string;
  pass?: string;
  /** Extra CA certificate (PEM) to trust; the system CAs stay trusted too. */
  ca?: string;
  /** TLS SNI and certificate name; defaults to `host`. */
  servername?: string;
  /** Name sent in EHLO; defaults to `localhost`. */
  clientName?: string;
}

export interface SmtpTimeouts {
  connectMs: number;
  greetingMs: number;
  commandMs: number;
  dataBlockMs: number;
  finalDotMs: number;
}

export const CONNECT_TIMEOUT_MS = 10_000;
/**
 * RFC 5321 section 4.5.3.2.1 suggests 5 minutes for the greeting and sections 4.5.3.2.2
 * to 4.5.3.2.4 suggest 2 to 5 minutes per command. The worker has a bounded time budget
 * and talks to submission relays that answer at once; a relay that is this slow is better
 * left for a later attempt or another relay than waited on.
 */
export const GREETING_TIMEOUT_MS = 30_000;
export const COMMAND_TIMEOUT_MS = 30_000;
/** RFC 5321 section 4.5.3.2.5 suggests 3 minutes per data block; a block here is 64 KiB. */
export const DATA_BLOCK_TIMEOUT_MS = 60_000;
/**
 * RFC 5321 section 4.5.3.2.6: the relay may take 10 minutes after the final dot. Giving up
 * sooner leaves a message that may be delivered, so the full time is waited for; the
 * caller's lease on the message must outlast it.
 */
export const FINAL_DOT_TIMEOUT_MS = 600_000;

export const DEFAULT_SMTP_TIMEOUTS: Readonly<SmtpTimeouts> = {
  connectMs: CONNECT_TIMEOUT_MS,
  greetingMs: GREETING_TIMEOUT_MS,
  commandMs: COMMAND_TIMEOUT_MS,
  dataBlockMs: DATA_BLOCK_TIMEOUT_MS,
  finalDotMs: FINAL_DOT_TIMEOUT_MS,
};

export interface SmtpSessionOptions {
  logger?: Logger;
  timeouts?: Partial<SmtpTimeouts>;
}

export interface Envelope {
  from: string;
  to: string[];
  /** Size of the message in bytes, announced with SIZE= (RFC 1870). */
  size: number;
}

export interface TransactionHooks {
  /** Runs after the body and before the final dot; throwing abandons the transaction. */
  beforeFinalDot?: () => Promise<void>;
}

export interface RecipientResult {
  address: string;
  reply: SmtpReply;
  accepted: boolean;
  /** True when the client refused the address itself and never sent it to the relay. */
  local?: boolean;
}

export interface TransactionResult {
  relay: string;
  mailReply: SmtpReply;
  recipients: RecipientResult[];
  /** Reply to DATA when it was not 354, otherwise the reply after the final dot. */
  dataReply?: SmtpReply;
  finalDotWritten: boolean;
  queueId?: string;
  durationMs: number;
}

type PreparedAddress =
  | { ok: true; value: string; utf8: boolean }
  | { ok: false; reply: SmtpReply };

interface ReplyWaiter {
  resolve: (reply: SmtpReply) => void;
  reject: (error: SmtpError) => void;
  timer: NodeJS.Timeout;
}

const CRLF = Buffer.from('\r\n');
const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const WRITE_CHUNK_BYTES = 64 * 1024;
/** A goodbye is a courtesy: not worth holding a connection (or a shutdown) for long. */
const QUIT_TIMEOUT_MS = 5_000;
const AUTH_MECHANISMS = ['PLAIN', 'LOGIN', 'CRAM-MD5'] as const;
const UNSENDABLE = /[\x00-\x1f\x7f<>]/;
const NON_ASCII = /[^\x00-\x7f]/;

type AuthMechanism = (typeof AUTH_MECHANISMS)[number];

export class SmtpSession {
  readonly capabilities = new Map<string, string>();
  readonly relay: RelayEndpoint;
  private socket: Socket;
  private readonly logger: Logger;
  private readonly timeouts: SmtpTimeouts;
  private readonly parser = new ReplyParser();
  private readonly unsolicited: SmtpReply[] = [];
  private readonly closeListeners = new Set<() => void>();
  private waiter: ReplyWaiter | undefined;
  private phase: SmtpPhase = 'greeting';
  private closed = false;
  private broken = false;
  private socketError: Error | undefined;
  private awaitingStartTls = false;
  private discardInput = false;
  private encrypted = false;
  private finalDotWritten = false;
  private openTransaction = false;
  private transactions = 0;
  private greeted = false;

  private constructor(
    relay: RelayEndpoint,
    socket: Socket,
    logger: Logger,
    timeouts: SmtpTimeouts,
  ) {
    this.relay = relay;
    this.socket = socket;
    this.logger = logger;
    this.timeouts = timeouts;
    this.attach(socket);
  }

  /** Connects, upgrades to TLS, says EHLO and authenticates. */
  static async open(relay: RelayEndpoint, options: SmtpSessionOptions = {}): Promise<SmtpSession> {
    const timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
    const logger = (options.logger ?? silentLogger).child({ relay: relay.name });
    const socket = await connect(relay, timeouts.connectMs);
    const session = new SmtpSession(relay, socket, logger, timeouts);

    try {
      await session.handshake();
      return session;
    } catch (error) {
      await session.abandon(error);
      throw error;
    }
  }

  /** False once the connection closed, failed, timed out or the relay sent 421. */
  get usable(): boolean {
    return !this.closed && !this.broken;
  }

  /** True while a transaction was started and not finished; RSET clears it. */
  get needsReset(): boolean {
    return this.openTransaction;
  }

  /** Number of transactions started on this connection (MAIL commands sent). */
  get transactionCount(): number {
    return this.transactions;
  }

  async send(
    envelope: Envelope,
    message: Buffer,
    hooks: TransactionHooks = {},
  ): Promise<TransactionResult> {
    const startedAt = Date.now();
    const utf8Relay = this.capabilities.has('SMTPUTF8');

    this.finalDotWritten = false;
    this.phase = 'mail';
    if (!this.usable) throw this.error('connection', 'connection to relay is no longer usable');

    const sender = envelope.from === '' ? senderNull() : prepareAddress(envelope.from, utf8Relay);
    if (!sender.ok) {
      const reason = sender.reply.text;
      throw this.error('config', `sender address cannot be sent to this relay: ${reason}`);
    }

    this.checkSize(envelope.size);

    const prepared = envelope.to.map((address) => ({
      address,
      prepared: prepareAddress(address, utf8Relay),
    }));
    const needsUtf8 = sender.utf8 || prepared.some((r) => r.prepared.ok && r.prepared.utf8);
    const parameters = this.mailParameters(envelope.size, message, needsUtf8);

    this.transactions += 1;
    const mailReply = await this.command(`MAIL FROM:<${sender.value}>${parameters}`, 'mail');
    if (!isPositive(mailReply)) {
      await this.abandonTransaction(mailReply);
      throw this.refusal(mailReply, 'mail');
    }

    this.openTransaction = true;
    const recipients: RecipientResult[] = [];
    for (const { address, prepared: target } of prepared) {
      recipients.push(await this.recipient(address, target));
    }

    const result: TransactionResult = {
      relay: this.relay.name,
      mailReply,
      recipients,
      finalDotWritten: false,
      durationMs: 0,
    };
    const finish = (): TransactionResult => {
      // After 421 the relay closes the channel (RFC 5321 section 3.8); do not wait for it.
      if (this.broken) this.close();
      return { ...result, durationMs: Date.now() - startedAt };
    };

    // No accepted recipient: there is nobody to send the data to.
    if (!recipients.some((r) => r.accepted)) {
      await this.abandonTransaction(mailReply);
      return finish();
    }

    result.dataReply = await this.command('DATA', 'data');
    if (result.dataReply.code !== 354) {
      await this.abandonTransaction(result.dataReply);
      return finish();
    }

    const earlyReply = await this.writeMessage(message, hooks);
    if (earlyReply) {
      result.dataReply = earlyReply;
      return finish();
    }

    result.finalDotWritten = true;
    this.phase = 'end-of-data';
    result.dataReply = await this.readReply(this.timeouts.finalDotMs);
    // The end-of-data reply ends the transaction whatever it says (RFC 5321 section 4.1.1.4).
    this.openTransaction = false;

    const queueId = extractQueueId(result.dataReply);
    if (queueId !== undefined) result.queueId = queueId;
    return finish();
  }

  /** RSET: abandons the current transaction (RFC 5321 section 4.1.1.5). */
  async reset(): Promise<void> {
    const reply = await this.command('RSET', 'rset');

    if (!isPositive(reply)) {
      this.broken = true;
      throw this.refusal(reply, 'rset');
    }
    this.openTransaction = false;
  }

  /** QUIT, then close. Never throws: the connection is going away either way. */
  async quit(): Promise<void> {
    // After a 421 or an out-of-step reply nothing more is written (RFC 5321 section 3.8).
    if (this.usable) {
      try {
        const timeoutMs = Math.min(this.timeouts.commandMs, QUIT_TIMEOUT_MS);
        await this.command('QUIT', 'quit', 'QUIT', timeoutMs);
      } catch {
        // The relay may already have closed; nothing is lost by not hearing its 221.
      }
    }
    this.close();
  }

  /** Drops the connection at once. */
  close(): void {
    this.broken = true;
    this.socket.destroy();
    this.markClosed();
  }

  private async handshake(): Promise<void> {
    if (this.relay.secure) await this.upgradeToTls();

    this.phase = 'greeting';
    const greeting = await this.readReply(this.timeouts.greetingMs);
    if (greeting.code !== 220) throw this.refusal(greeting, 'greeting');
    this.greeted = true;

    await this.ehlo();
    if (!this.relay.secure) await this.startTls();

    if (this.relay.user !== undefined) await this.authenticate();
  }

  private async ehlo(): Promise<void> {
    const clientName = this.relay.clientName ?? 'localhost';
    const reply = await this.command(`EHLO ${clientName}`, 'ehlo');

    if (!isPositive(reply)) throw this.refusal(reply, 'ehlo');

    // Knowledge from before TLS must be forgotten (RFC 3207 section 4.2).
    this.capabilities.clear();
    for (const line of reply.lines.slice(1)) {
      const [keyword = '', ...rest] = line.trim().split(/\s+/);
      const [name = '', legacy] = keyword.toUpperCase().split('=', 2);
      const value = [legacy, ...rest].filter((part) => part !== undefined).join(' ');
      const known = this.capabilities.get(name);

      this.capabilities.set(name, known ? `${known} ${value}`.trim() : value);
    }
  }

  private async startTls(): Promise<void> {
    this.phase = 'starttls';
    if (!this.capabilities.has('STARTTLS')) {
      throw this.error('config', 'relay does not offer STARTTLS; refusing to continue without TLS');
    }

    this.awaitingStartTls = true;
    const reply = await this.command('STARTTLS', 'starttls');
    this.awaitingStartTls = false;
    if (reply.code !== 220) throw this.refusal(reply, 'starttls');

    await this.upgradeToTls();
    await this.ehlo();
  }

  private async upgradeToTls(): Promise<void> {
    const plain = this.socket;
    const ca = this.relay.ca === undefined ? undefined : [...tls.rootCertificates, this.relay.ca];
    // SNI carries names only, never IP addresses (RFC 6066 section 3).
    const hostIsName = net.isIP(this.relay.host) === 0;
    const servername = this.relay.servername ?? (hostIsName ? this.relay.host : undefined);

    this.phase = 'tls';
    this.detach(plain);
    plain.on('error', () => {});

    // Certificate checks cannot be turned off: there is deliberately no option for it.
    const secure = tls.connect({
      socket: plain,
      host: this.relay.host,
      servername,
      ca,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    this.socket = secure;

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const ms = this.timeouts.commandMs;
        reject(this.error('timeout', `TLS handshake did not finish within ${ms} ms`));
      }, this.timeouts.commandMs);

      secure.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      secure.once('error', (cause) => {
        clearTimeout(timer);
        reject(this.error('tls', `TLS handshake with relay failed: ${cause.message}`, cause));
      });
    }).catch((error: unknown) => {
      secure.on('error', () => {});
      this.close();
      throw error;
    });

    // Bytes the relay sent after its 220 and before the handshake were dropped on purpose.
    this.parser.reset();
    this.discardInput = false;
    this.encrypted = true;
    this.attach(secure);
  }

  private async authenticate(): Promise<void> {
    const offered = (this.capabilities.get('AUTH') ?? '').toUpperCase().split(/\s+/);
    const usable = AUTH_MECHANISMS.filter((mechanism) => offered.includes(mechanism));

    this.phase = 'auth';
    // PLAIN and LOGIN carry the password itself, so credentials never go out without TLS.
    if (!this.encrypted) throw this.error('config', 'refusing to authenticate without TLS');
    if (!this.capabilities.has('AUTH')) {
      throw this.error('config', 'relay credentials are configured but relay does not offer AUTH');
    }
    if (usable.length === 0) {
      throw this.error('config', 'relay offers no AUTH mechanism this client supports');
    }

    let last: SmtpReply | undefined;
    for (const mechanism of usable) {
      last = await this.authenticateWith(mechanism);
      if (last.code === 235) return;

      // Only 504, "mechanism not supported" (RFC 4954 section 4), allows another mechanism.
      // Other failures, 535 above all, stop here so repeated attempts cannot lock the account.
      if (!(last.code === 504 || last.enhancedStatus === '5.5.4')) break;
    }

    throw this.refusal(last ?? buildReply(504, []), 'auth');
  }

  private async authenticateWith(mechanism: AuthMechanism): Promise<SmtpReply> {
    const user = this.relay.user ?? '';
    const pass = this.relay.pass ?? '';

    if (mechanism === 'PLAIN') {
      const token = base64(`\u0000${user}\u0000${pass}`);
      const reply = await this.command(`AUTH PLAIN ${token}`, 'auth', 'AUTH PLAIN');

      // A relay that ignores the initial response asks for it with an empty challenge.
      return reply.code === 334 ? this.command(token, 'auth', 'AUTH response') : reply;
    }

    if (mechanism === 'LOGIN') {
      let reply = await this.command('AUTH LOGIN', 'auth', 'AUTH LOGIN');
      if (reply.code !== 334) return reply;

      reply = await this.command(base64(user), 'auth', 'AUTH response');
      if (reply.code !== 334) return reply;

      return this.command(base64(pass), 'auth', 'AUTH response');
    }

    const challenge = await this.command('AUTH CRAM-MD5', 'auth', 'AUTH CRAM-MD5');
    if (challenge.code !== 334) return challenge;

    const digest = createHmac('md5', pass)
      .update(Buffer.from(challenge.text, 'base64'))
      .digest('hex');
    return this.command(base64(`${user} ${digest}`), 'auth', 'AUTH response');
  }

  private checkSize(size: number): void {
    const limit = Number.parseInt(this.capabilities.get('SIZE') ?? '', 10);

    // SIZE 0 or without a number announces no fixed limit (RFC 1870 section 4).
    if (Number.isFinite(limit) && limit > 0 && size > limit) {
      throw this.error('config', `message of ${size} bytes exceeds the relay's limit of ${limit}`);
    }
  }

  private mailParameters(size: number, message: Buffer, utf8: boolean): string {
    let parameters = '';

    if (this.capabilities.has('SIZE')) parameters += ` SIZE=${size}`;
    // 8-bit content is declared as such when the relay offers 8BITMIME (RFC 6152).
    if (this.capabilities.has('8BITMIME') && message.some((byte) => byte > 0x7f)) {
      parameters += ' BODY=8BITMIME';
    }
    if (utf8) parameters += ' SMTPUTF8';
    return parameters;
  }

  private async recipient(address: string, target: PreparedAddress): Promise<RecipientResult> {
    if (!target.ok) return { address, reply: target.reply, accepted: false, local: true };

    const reply = await this.command(`RCPT TO:<${target.value}>`, 'rcpt');
    // 421 closes the channel (RFC 5321 section 3.8): the other recipients cannot be tried.
    if (reply.code === 421) {
      this.close();
      throw this.refusal(reply, 'rcpt');
    }

    return { address, reply, accepted: isPositive(reply) };
  }

  /**
   * Writes the body and the final dot. Returns a reply the relay sent before the final dot
   * (the transaction is then abandoned and the dot never written).
   */
  private async writeMessage(
    message: Buffer,
    hooks: TransactionHooks,
  ): Promise<SmtpReply | undefined> {
    const block = toDataBlock(message);

    this.phase = 'data';
    for (let offset = 0; offset < block.length; offset += WRITE_CHUNK_BYTES) {
      await this.write(block.subarray(offset, offset + WRITE_CHUNK_BYTES));
    }

    try {
      await hooks.beforeFinalDot?.();
    } catch (cause) {
      // Without the final dot the relay discards the transaction (RFC 5321 section 4.1.1.4).
      this.close();
      throw this.error('connection', 'transaction abandoned before the final dot', cause);
    }

    const early = this.unsolicited.shift();
    if (early) {
      this.close();
      return early;
    }
    if (this.closed) throw this.error('connection', 'connection closed before the final dot');

    const terminator = block.length === 0 || endsWithCrlf(block) ? '.\r\n' : '\r\n.\r\n';
    this.finalDotWritten = true;
    this.logger.debug('smtp command', { verb: '.' });
    this.socket.write(terminator);
    return undefined;
  }

  private async write(chunk: Buffer): Promise<void> {
    if (this.closed) throw this.error('connection', 'connection closed while sending data');
    if (this.socket.write(chunk)) return;

    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.closeListeners.delete(onClose);
      };
      const onDrain = () => {
        done();
        resolve();
      };
      const onClose = () => {
        done();
        reject(this.error('connection', 'connection closed while sending data', this.socketError));
      };
      const timer = setTimeout(() => {
        done();
        const ms = this.timeouts.dataBlockMs;
        const error = this.error('timeout', `relay did not take data within ${ms} ms`);
        this.close();
        reject(error);
      }, this.timeouts.dataBlockMs);

      this.socket.on('drain', onDrain);
      this.closeListeners.add(onClose);
    });
  }

  private async command(
    line: string,
    phase: SmtpPhase,
    logAs?: string,
    timeoutMs = this.timeouts.commandMs,
  ): Promise<SmtpReply> {
    this.phase = phase;
    if (this.closed) throw this.error('connection', 'connection to relay is closed');
    if (/[\r\n]/.test(line)) throw this.error('config', 'command contains a line break');

    // Credentials travel in AUTH lines, so those are logged by name only.
    this.logger.debug('smtp command', { verb: logAs ?? line.split(' ', 1)[0] });
    this.socket.write(`${line}\r\n`, 'utf8');
    return this.readReply(timeoutMs);
  }

  private readReply(timeoutMs: number): Promise<SmtpReply> {
    const queued = this.unsolicited.shift();

    if (queued) return Promise.resolve(queued);
    if (this.closed) {
      const error = this.error('connection', 'connection closed by relay', this.socketError);
      return Promise.reject(error);
    }

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const error = this.error('timeout', `no reply to ${this.phase} within ${timeoutMs} ms`);
        this.close();
        reject(error);
      }, timeoutMs);

      this.waiter = { resolve, reject, timer };
    });
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onClose);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('end', this.onClose);
    socket.off('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.discardInput) return;

    let replies: SmtpReply[];
    try {
      replies = this.parser.push(chunk);
    } catch (cause) {
      this.failPending(this.error('protocol', 'relay sent a malformed reply', cause));
      this.close();
      return;
    }

    for (const reply of replies) {
      this.logger.debug('smtp reply', { code: reply.code, enhancedStatus: reply.enhancedStatus });
      if (reply.code === 421) this.broken = true;
      this.deliver(reply);

      // After the 220 to STARTTLS nothing may be read until the handshake: bytes in the same
      // packet would otherwise be taken as replies inside TLS (RFC 3207 section 4.2).
      if (this.awaitingStartTls && reply.code === 220) {
        this.discardInput = true;
        this.parser.reset();
        return;
      }
    }
  };

  private deliver(reply: SmtpReply): void {
    const waiter = this.waiter;

    if (!waiter) {
      // Only the greeting may come unasked; anything later means the dialogue is out of
      // step, so the connection is not reused.
      if (this.greeted) this.broken = true;
      this.unsolicited.push(reply);
      return;
    }

    this.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.resolve(reply);
  }

  private readonly onError = (error: Error): void => {
    this.socketError ??= error;
    this.markClosed();
  };

  private readonly onClose = (): void => {
    this.markClosed();
  };

  private markClosed(): void {
    if (this.closed) return;

    this.closed = true;
    this.failPending(this.error('connection', 'connection closed by relay', this.socketError));
    for (const listener of [...this.closeListeners]) listener();
  }

  private failPending(error: SmtpError): void {
    const waiter = this.waiter;
    if (!waiter) return;

    this.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }

  private async abandonTransaction(reply: SmtpReply): Promise<void> {
    if (reply.code === 421 || !this.usable) {
      this.close();
      return;
    }

    try {
      await this.reset();
    } catch {
      this.close();
    }
  }

  private async abandon(error: unknown): Promise<void> {
    const kind = error instanceof SmtpError ? error.kind : undefined;
    const replyOrConfig = kind === 'reply' || kind === 'config';

    // After a refusal the relay is still talking, so say goodbye properly; otherwise just drop.
    if (replyOrConfig && this.usable) await this.quit();
    this.close();
  }

  private refusal(reply: SmtpReply, phase: SmtpPhase): SmtpError {
    return SmtpError.fromReply(reply, { phase, relay: this.relay.name });
  }

  private error(kind: SmtpErrorKind, message: string, cause?: unknown): SmtpError {
    return new SmtpError(message, {
      phase: this.phase,
      kind,
      finalDotWritten: this.finalDotWritten,
      relay: this.relay.name,
      cause,
    });
  }
}

function connect(relay: RelayEndpoint, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Without noDelay the small final-dot write waits for a delayed ACK (about 40 ms).
    const socket = net.connect({ host: relay.host, port: relay.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SmtpError(`could not connect to relay within ${timeoutMs} ms`, {
          phase: 'connect',
          kind: 'timeout',
          relay: relay.name,
        }),
      );
    }, timeoutMs);

    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (cause: Error) => {
      clearTimeout(timer);
      reject(
        new SmtpError(`could not connect to relay: ${cause.message}`, {
          phase: 'connect',
          kind: 'connection',
          relay: relay.name,
          cause,
        }),
      );
    };
    socket.once('error', onError);
  });
}

/**
 * Makes an address safe to put in MAIL or RCPT. Without SMTPUTF8 (RFC 6531) a non-ASCII
 * domain goes out as an IDNA A-label; a non-ASCII local part has no ASCII form and cannot
 * be sent to this relay at all.
 */
function prepareAddress(address: string, utf8Relay: boolean): PreparedAddress {
  const at = address.lastIndexOf('@');
  const local = at === -1 ? address : address.slice(0, at);
  const domain = at === -1 ? '' : address.slice(at + 1);

  if (address === '' || UNSENDABLE.test(address)) {
    return refused(553, '5.1.3', 'address contains characters that cannot be sent in SMTP');
  }
  if (!NON_ASCII.test(address)) return { ok: true, value: address, utf8: false };
  if (utf8Relay) return { ok: true, value: address, utf8: true };

  if (NON_ASCII.test(local)) {
    return refused(553, '5.6.7', 'relay lacks SMTPUTF8, so a non-ASCII local part cannot be sent');
  }

  const asciiDomain = domainToASCII(domain);
  if (asciiDomain === '') return refused(553, '5.1.2', 'domain has no valid IDNA A-label form');
  return { ok: true, value: `${local}@${asciiDomain}`, utf8: false };
}

function senderNull(): PreparedAddress {
  return { ok: true, value: '', utf8: false };
}

function refused(code: number, enhancedStatus: string, text: string): PreparedAddress {
  return { ok: false, reply: { code, enhancedStatus, lines: [text], text } };
}

/**
 * The message as it goes on the wire between DATA and the final dot: every line ends in
 * CRLF, and a line starting with "." gets one more (RFC 5321 section 4.5.2), so neither a
 * bare LF nor a lone dot in the body can end the message early or smuggle commands.
 */
export function toDataBlock(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(message.length * 2);
  let length = 0;
  let lineStart = true;

  for (let index = 0; index < message.length; index += 1) {
    const byte = message[index] as number;

    if (byte === CR || byte === LF) {
      if (byte === CR && message[index + 1] === LF) index += 1;
      out[length++] = CR;
      out[length++] = LF;
      lineStart = true;
      continue;
    }

    if (lineStart && byte === DOT) out[length++] = DOT;
    out[length++] = byte;
    lineStart = false;
  }

  return out.subarray(0, length);
}

function endsWithCrlf(block: Buffer): boolean {
  return block.length >= 2 && block.subarray(-2).equals(CRLF);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
