/**
 * A scripted SMTP relay on 127.0.0.1 for tests. Each connection follows one script: steps
 * are matched in order against what the client sends (`on` is a case-insensitive prefix;
 * `connect` is the greeting, `end-of-data` follows the final dot). Commands no step matches
 * get an ordinary answer, so scripts only spell out what matters to a test. Everything the
 * client sends is recorded, including the raw DATA bytes before the dots are unstuffed.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import type { RelayEndpoint, SmtpTimeouts } from '../../shared/smtp/smtp-session.js';
import {
  createCertificateAuthority,
  issueServerCertificate,
  type CertificateAuthority,
  type ServerCertificate,
} from '../../local/certificates.js';

export interface ScriptStep {
  /** Case-insensitive prefix of a command, or `connect`, `end-of-data`, `<base64 ...>`. */
  on: string;
  /** One reply line, or the lines of a multi-line reply (each with its code). */
  reply?: string | string[];
  /** `close` drops the connection without a reply; `tls` upgrades after the reply. */
  action?: 'close' | 'tls' | { delayMs?: number; idleCloseAfterMs?: number };
  /** `close` closes the connection after the reply; other values only describe intent. */
  then?: string;
  delayMs?: number;
  /** Raw bytes added to the same write as the reply. */
  inject?: string;
  /** Closes the connection when the client sends nothing for this long after the reply. */
  idleCloseAfterMs?: number;
  note?: string;
}

export interface ScriptedRelayOptions {
  /** One script per connection, in connection order; later connections reuse the last. */
  sessions?: ScriptStep[][];
  /** CA that signs the relay's certificate; a shared test CA when absent. */
  ca?: CertificateAuthority;
  /** Names in the relay's certificate. */
  hostnames?: string[];
  /** Serve TLS from the first byte (smtps) instead of STARTTLS. */
  implicitTls?: boolean;
  user?: string;
  pass?: string;
}

export interface RecordedCommand {
  line: string;
  tls: boolean;
}

export interface RecordedAuthAttempt {
  mechanism: string;
  tls: boolean;
  /** Final reply code of the exchange, once there was one. */
  replyCode?: number;
  username?: string;
}

export interface RecordedSession {
  index: number;
  commands: RecordedCommand[];
  authAttempts: RecordedAuthAttempt[];
  closed: boolean;
}

export interface RecordedTransaction {
  session: number;
  mailFrom: string;
  /** Recipients the relay accepted. */
  recipients: string[];
  /** Bytes between the 354 and the final ".\r\n", dots still stuffed. */
  raw: Buffer;
  /** True when the final dot arrived. */
  completed: boolean;
  /** Code of the relay's reply to the final dot. */
  replyCode?: number;
}

export interface ScriptedRelay {
  host: string;
  port: number;
  caPem: string;
  sessions: RecordedSession[];
  transactions: RecordedTransaction[];
  close(): Promise<void>;
}

export const RELAY_USER = 'relay-user';
export const RELAY_PASS = 'relay-secret';

/** Short timeouts so a test that waits for one finishes in well under a second. */
export const TEST_TIMEOUTS: SmtpTimeouts = {
  connectMs: 2_000,
  greetingMs: 2_000,
  commandMs: 2_000,
  dataBlockMs: 2_000,
  finalDotMs: 2_000,
};

/** How a client reaches this relay: STARTTLS, the relay's credentials, its CA trusted. */
export function relayEndpoint(
  relay: ScriptedRelay,
  overrides: Partial<RelayEndpoint> = {},
): RelayEndpoint {
  return {
    name: 'scripted-relay',
    host: relay.host,
    port: relay.port,
    secure: false,
    user: RELAY_USER,
    pass: RELAY_PASS,
    ca: relay.caPem,
    ...overrides,
  };
}

const RELAY_NAME = 'relay.test';
const DEFAULT_HOSTNAMES = ['localhost', '127.0.0.1', '::1'];
const TERMINATOR = Buffer.from('\r\n.\r\n');
const CRLF = Buffer.from('\r\n');

let sharedCertificate: ServerCertificate | undefined;

function ownCertificate(options: ScriptedRelayOptions): ServerCertificate {
  const ca = options.ca ?? createCertificateAuthority();
  return issueServerCertificate(ca, options.hostnames ?? DEFAULT_HOSTNAMES);
}

/** The relay certificate most tests use; generated once because RSA keys take a while. */
function defaultCertificate(): ServerCertificate {
  sharedCertificate ??= issueServerCertificate(createCertificateAuthority(), DEFAULT_HOSTNAMES);
  return sharedCertificate;
}

export async function startScriptedRelay(
  options: ScriptedRelayOptions = {},
): Promise<ScriptedRelay> {
  const custom = options.ca !== undefined || options.hostnames !== undefined;
  const certificate = custom ? ownCertificate(options) : defaultCertificate();
  const context = tls.createSecureContext({ key: certificate.keyPem, cert: certificate.certPem });
  const sessions: RecordedSession[] = [];
  const transactions: RecordedTransaction[] = [];
  const sockets = new Set<Socket>();
  const scripts = options.sessions ?? [];

  const onConnection = (socket: Socket) => {
    const index = sessions.length;
    const record: RecordedSession = { index, commands: [], authAttempts: [], closed: false };
    const script = scripts[index] ?? scripts[scripts.length - 1] ?? [];

    sessions.push(record);
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    new RelayConnection(socket, {
      script,
      record,
      transactions,
      context,
      tls: options.implicitTls === true,
      user: options.user ?? RELAY_USER,
      pass: options.pass ?? RELAY_PASS,
    }).start();
  };

  const server = options.implicitTls
    ? tls.createServer({ key: certificate.keyPem, cert: certificate.certPem }, onConnection)
    : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    caPem: certificate.caPem,
    sessions,
    transactions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface ConnectionSetup {
  script: ScriptStep[];
  record: RecordedSession;
  transactions: RecordedTransaction[];
  context: tls.SecureContext;
  tls: boolean;
  user: string;
  pass: string;
}

interface AuthExchange {
  mechanism: string;
  responses: string[];
  attempt: RecordedAuthAttempt;
}

class RelayConnection {
  private socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private cursor = 0;
  private tls: boolean;
  private mode: 'command' | 'data' = 'command';
  private auth: AuthExchange | undefined;
  private transaction: RecordedTransaction | undefined;
  private busy = false;
  private ended = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Socket,
    private readonly setup: ConnectionSetup,
  ) {
    this.socket = socket;
    this.tls = setup.tls;
  }

  start(): void {
    this.listen(this.socket);
    void this.respond(this.match('connect'), ['220 relay.test ESMTP ready']);
  }

  private listen(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', () => this.onClose());
    socket.on('close', () => this.onClose());
  }

  private readonly onData = (chunk: Buffer): void => {
    clearTimeout(this.idleTimer);
    this.buffer = Buffer.concat([this.buffer, chunk]);
    void this.pump();
  };

  private onClose(): void {
    if (this.ended) return;

    this.ended = true;
    this.setup.record.closed = true;
    clearTimeout(this.idleTimer);
    if (this.mode === 'data' && this.transaction) {
      this.transaction.raw = this.buffer;
      this.setup.transactions.push(this.transaction);
    }
  }

  /** Handles buffered input one command at a time, so delays keep replies in order. */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;

    try {
      while (!this.ended) {
        const handled = this.mode === 'data' ? await this.takeData() : await this.takeLine();
        if (!handled) break;
      }
    } finally {
      this.busy = false;
    }
  }

  private async takeLine(): Promise<boolean> {
    const end = this.buffer.indexOf('\n');
    if (end === -1) return false;

    const line = this.buffer.toString('utf8', 0, end).replace(/\r$/, '');
    this.buffer = this.buffer.subarray(end + 1);
    this.setup.record.commands.push({ line, tls: this.tls });
    await (this.auth ? this.onAuthResponse(line) : this.onCommand(line));
    return true;
  }

  private async takeData(): Promise<boolean> {
    // The CRLF that ended the DATA command counts as the start of the terminator.
    const framed = Buffer.concat([CRLF, this.buffer]);
    const end = framed.indexOf(TERMINATOR);
    if (end === -1 || !this.transaction) return false;

    const transaction = this.transaction;
    transaction.raw = framed.subarray(2, end + 2);
    transaction.completed = true;
    this.buffer = framed.subarray(end + TERMINATOR.length);
    this.mode = 'command';
    this.transaction = undefined;
    this.setup.transactions.push(transaction);

    const queueId = `Q${this.setup.record.index}X${this.setup.transactions.length}`;
    const code = await this.respond(this.match('end-of-data'), [
      `250 2.0.0 Ok: queued as ${queueId}`,
    ]);
    if (code !== undefined) transaction.replyCode = code;
    return true;
  }

  private async onCommand(line: string): Promise<void> {
    const verb = line.split(' ', 1)[0]?.toUpperCase() ?? '';
    const step = this.match(line);
    const code = await this.respond(step, this.defaultReply(verb, line));

    if (code === undefined) return;
    this.afterReply(verb, line, code, step);
  }

  private afterReply(verb: string, line: string, code: number, step?: ScriptStep): void {
    const accepted = code >= 200 && code < 300;

    if (verb === 'MAIL' && accepted) this.transaction = newTransaction(this.setup.record, line);
    if (verb === 'RCPT' && accepted) this.transaction?.recipients.push(addressOf(line));
    if (verb === 'RSET') this.transaction = undefined;
    if (verb === 'DATA' && code === 354 && this.transaction) this.mode = 'data';
    if (verb === 'QUIT') this.socket.end();
    if (verb === 'STARTTLS' && (accepted || step?.action === 'tls')) this.upgrade();
    if (verb === 'AUTH') this.beginAuth(line, code);
  }

  private beginAuth(line: string, code: number): void {
    const [, mechanism = '', initial] = line.split(' ');
    const attempt: RecordedAuthAttempt = { mechanism: mechanism.toUpperCase(), tls: this.tls };

    this.setup.record.authAttempts.push(attempt);
    if (code !== 334) {
      attempt.replyCode = code;
      if (initial) recordUser(attempt, attempt.mechanism, [initial]);
      return;
    }

    this.auth = { mechanism: attempt.mechanism, responses: initial ? [initial] : [], attempt };
  }

  private async onAuthResponse(line: string): Promise<void> {
    const exchange = this.auth as AuthExchange;
    const step = this.matchAuthResponse(line);

    exchange.responses.push(line);
    const cancelled = ['501 5.7.0 Authentication cancelled'];
    const fallback = line === '*' ? cancelled : this.authStep(exchange);
    const code = await this.respond(step, fallback);

    if (code === undefined || code === 334) return;
    exchange.attempt.replyCode = code;
    recordUser(exchange.attempt, exchange.mechanism, exchange.responses);
    this.auth = undefined;
  }

  /** The ordinary continuation of a PLAIN or LOGIN exchange (RFC 4954 section 4). */
  private authStep(exchange: AuthExchange): string[] {
    if (exchange.mechanism === 'LOGIN' && exchange.responses.length === 1) {
      return ['334 UGFzc3dvcmQ6'];
    }
    return this.verify(exchange.mechanism, exchange.responses);
  }

  private verify(mechanism: string, responses: string[]): string[] {
    const { user, pass } = credentials(mechanism, responses);
    const ok = user === this.setup.user && pass === this.setup.pass;

    if (ok) return ['235 2.7.0 Authentication successful'];
    return ['535 5.7.8 Authentication credentials invalid'];
  }

  private defaultReply(verb: string, line: string): string[] {
    switch (verb) {
      case 'EHLO':
        return this.ehloReply();
      case 'HELO':
        return [`250 ${RELAY_NAME}`];
      case 'STARTTLS':
        return this.tls ? ['503 5.5.1 TLS already active'] : ['220 2.0.0 Ready to start TLS'];
      case 'AUTH':
        return this.authReply(line);
      case 'MAIL':
        return ['250 2.1.0 Ok'];
      case 'RCPT':
        return this.transaction ? ['250 2.1.5 Ok'] : ['503 5.5.1 Error: need MAIL command'];
      case 'DATA':
        return this.transaction?.recipients.length
          ? ['354 End data with <CR><LF>.<CR><LF>']
          : ['554 5.5.1 Error: no valid recipients'];
      case 'RSET':
      case 'NOOP':
        return ['250 2.0.0 Ok'];
      case 'QUIT':
        return ['221 2.0.0 Bye'];
      default:
        return ['502 5.5.2 Error: command not recognized'];
    }
  }

  private ehloReply(): string[] {
    const last = this.tls ? 'AUTH PLAIN LOGIN' : 'STARTTLS';
    return [
      `250-${RELAY_NAME} greets you`,
      '250-SIZE 10485760',
      '250-8BITMIME',
      '250-ENHANCEDSTATUSCODES',
      `250 ${last}`,
    ];
  }

  private authReply(line: string): string[] {
    const [, mechanism = '', initial] = line.split(' ');
    const upper = mechanism.toUpperCase();

    if (!this.tls) return ['538 5.7.11 Encryption required for authentication'];
    if (upper === 'PLAIN') return initial ? this.verify('PLAIN', [initial]) : ['334 '];
    if (upper === 'LOGIN') return ['334 VXNlcm5hbWU6'];
    return ['504 5.5.4 Authentication mechanism not supported'];
  }

  /** Replies to one input; returns the reply code, or undefined when nothing was sent. */
  private async respond(
    step: ScriptStep | undefined,
    fallback: string[],
  ): Promise<number | undefined> {
    const action = typeof step?.action === 'object' ? step.action : {};
    const delayMs = step?.delayMs ?? action.delayMs ?? 0;

    if (delayMs > 0) await sleep(delayMs);
    if (this.ended) return undefined;
    if (step?.action === 'close') {
      this.socket.destroy();
      return undefined;
    }

    const lines = step?.reply === undefined ? fallback : [step.reply].flat();
    this.socket.write(lines.map((line) => `${line}\r\n`).join('') + (step?.inject ?? ''));

    if (step?.then === 'close') this.socket.end();
    this.armIdleClose(step?.idleCloseAfterMs ?? action.idleCloseAfterMs);
    return Number.parseInt(lines[lines.length - 1] ?? '', 10);
  }

  private armIdleClose(idleMs: number | undefined): void {
    if (idleMs === undefined) return;
    this.idleTimer = setTimeout(() => this.socket.end(), idleMs);
  }

  /** Switches to TLS after the 220 to STARTTLS; plaintext still buffered is dropped. */
  private upgrade(): void {
    const plain = this.socket;
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: this.setup.context });

    plain.off('data', this.onData);
    this.buffer = Buffer.alloc(0);
    this.socket = secure;
    this.tls = true;
    this.listen(secure);
  }

  private match(input: string): ScriptStep | undefined {
    const special = input === 'connect' || input === 'end-of-data';
    const wanted = input.toLowerCase();

    return this.take((step) => {
      const on = step.on.toLowerCase();
      if (special || on === 'connect' || on === 'end-of-data') return on === wanted;
      return !on.startsWith('<base64') && wanted.startsWith(on);
    });
  }

  private matchAuthResponse(line: string): ScriptStep | undefined {
    const wanted = line.toLowerCase();
    return this.take((step) => {
      const on = step.on.toLowerCase();
      return on.startsWith('<base64') || (on !== '' && wanted.startsWith(on));
    });
  }

  /** The first step at or after the cursor that fits; the cursor moves past it. */
  private take(fits: (step: ScriptStep) => boolean): ScriptStep | undefined {
    const script = this.setup.script;

    for (let index = this.cursor; index < script.length; index += 1) {
      const step = script[index];
      if (step && fits(step)) {
        this.cursor = index + 1;
        return step;
      }
    }
    return undefined;
  }
}

function newTransaction(record: RecordedSession, line: string): RecordedTransaction {
  return {
    session: record.index,
    mailFrom: addressOf(line),
    recipients: [],
    raw: Buffer.alloc(0),
    completed: false,
  };
}

function addressOf(line: string): string {
  return /<([^>]*)>/.exec(line)?.[1] ?? '';
}

function credentials(mechanism: string, responses: string[]): { user?: string; pass?: string } {
  const decoded = responses.map((response) => Buffer.from(response, 'base64').toString('utf8'));

  if (mechanism === 'PLAIN') {
    const [, user, pass] = (decoded[0] ?? '').split('\u0000');
    return { user, pass };
  }
  return { user: decoded[0], pass: decoded[1] };
}

function recordUser(attempt: RecordedAuthAttempt, mechanism: string, responses: string[]): void {
  const { user } = credentials(mechanism, responses);
  if (user !== undefined) attempt.username = user;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
