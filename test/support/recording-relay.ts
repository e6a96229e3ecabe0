import type { AddressInfo } from 'node:net';

import { SMTPServer, type SMTPServerSession } from 'smtp-server';

import { createCertificateAuthority, issueServerCertificate } from '../../local/certificates.js';

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 with STARTTLS and AUTH
 * required, recording what it is given. `rcptReply` lets a test refuse or defer chosen
 * recipients the way a real relay would.
 */
export interface RecordedMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  /** Commands in the order the server saw them, with whether TLS was active. */
  secureAtAuth: boolean | undefined;
  queueId: string;
  /** When the whole body had arrived (ms since the epoch), before the reply. */
  receivedAt: number;
}

export interface RelayLog {
  /** Every AUTH attempt and whether it arrived over TLS. */
  auths: Array<{ secure: boolean; user: string }>;
  /** Every RCPT TO and the reply code given. */
  rcpts: Array<{ address: string; code: number }>;
  messages: RecordedMessage[];
  connections: number;
}

export interface RecordingRelay {
  port: number;
  caPem: string;
  user: string;
  pass: string;
  url: string;
  log: RelayLog;
  /** Decide the reply to a recipient; return undefined to accept. */
  rcptReply: (address: string) => { code: number; message: string } | undefined;
  /** Holds the reply to the final dot this long; may be changed while the relay runs. */
  dataReplyDelayMs: number;
  close(): Promise<void>;
}

const certificates = (() => {
  let cached: { caPem: string; certPem: string; keyPem: string } | undefined;
  return () => {
    if (!cached) {
      const ca = createCertificateAuthority('Mailroom Test CA');
      cached = issueServerCertificate(ca, ['localhost', '127.0.0.1']);
    }
    return cached;
  };
})();

export async function startRecordingRelay(
  options: { hideStartTls?: boolean; dataReplyDelayMs?: number } = {},
) {
  const tls = certificates();
  const log: RelayLog = { auths: [], rcpts: [], messages: [], connections: 0 };
  const user = 'relay-user';
  const pass = 'relay-pass-123';
  let counter = 0;
  const secureAtAuth = new WeakMap<SMTPServerSession, boolean>();

  const relay: RecordingRelay = {
    port: 0,
    caPem: tls.caPem,
    user,
    pass,
    url: '',
    log,
    rcptReply: () => undefined,
    dataReplyDelayMs: options.dataReplyDelayMs ?? 0,
    close: async () => {},
  };

  const server = new SMTPServer({
    // Clients a test left connected (a pooled connection) are cut after this on close.
    closeTimeout: 1_000,
    key: tls.keyPem,
    cert: tls.certPem,
    hideSTARTTLS: options.hideStartTls ?? false,
    allowInsecureAuth: options.hideStartTls ?? false,
    authOptional: false,
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    onConnect: (_session, callback) => {
      log.connections++;
      callback();
    },
    onAuth: (auth, session, callback) => {
      log.auths.push({ secure: session.secure, user: auth.username ?? '' });
      secureAtAuth.set(session, session.secure);
      if (auth.username === user && auth.password === pass) callback(null, { user });
      else callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
    onRcptTo: (address, _session, callback) => {
      const reply = relay.rcptReply(address.address);
      log.rcpts.push({ address: address.address, code: reply?.code ?? 250 });
      if (reply) callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
      else callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const queueId = `Q${String(++counter).padStart(6, '0')}`;
        log.messages.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks),
          secureAtAuth: secureAtAuth.get(session),
          queueId,
          receivedAt: Date.now(),
        });
        const reply = () => callback(null, `2.0.0 Ok: queued as ${queueId}`);
        if (relay.dataReplyDelayMs) setTimeout(reply, relay.dataReplyDelayMs);
        else reply();
      });
    },
  });
  server.on('error', () => {});

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  relay.port = port;
  relay.url = `smtp://${user}:${pass}@127.0.0.1:${port}`;
  relay.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return relay;
}
