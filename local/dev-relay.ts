/**
 * A development SMTP relay that accepts mail the way a real submission server does (STARTTLS
 * with a certificate the client verifies, then AUTH) and delivers nothing: each message lands
 * in a folder, where the dev mailbox lists it. It listens on 127.0.0.1 only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

import {
  SMTPServer,
  type SMTPServerAuthentication,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';

import { silentLogger, type Logger } from '../shared/log/logger.js';
import { newReceivedId, writeDevMessage } from './dev-message-files.js';
import { loadRelayCertificate } from './relay-certificate.js';

export interface DevRelayOptions {
  /** Mailbox folder; also holds the relay's CA and certificate. */
  dir: string;
  /** Default: 2525, or a free port when 2525 is taken. 0 always picks a free port. */
  port?: number;
  user: string;
  pass: string;
  logger?: Logger;
}

export interface DevRelay {
  host: string;
  port: number;
  /** `smtp://user:pass@host:port`, ready for SMTP_URL. */
  url: string;
  caFile: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const DEFAULT_PORT = 2525;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Connections still open at stop() are cut after this; senders stop before the relay. */
const CLOSE_TIMEOUT_MS = 5_000;

type SmtpError = Error & { responseCode?: number };

export async function startDevRelay(options: DevRelayOptions): Promise<DevRelay> {
  const dir = resolve(options.dir);
  const logger = options.logger ?? silentLogger;
  await mkdir(dir, { recursive: true });
  const tls = await loadRelayCertificate(dir);

  const server = new SMTPServer({
    name: 'mailroom.localhost',
    banner: 'Mailroom development relay',
    key: tls.keyPem,
    cert: tls.certPem,
    secure: false,
    hideSTARTTLS: false,
    // AUTH only inside TLS, and MAIL only after AUTH: together they make TLS mandatory.
    allowInsecureAuth: false,
    authOptional: false,
    authMethods: ['PLAIN', 'LOGIN'],
    size: MAX_MESSAGE_BYTES,
    rejectOversized: true,
    // Off by default in smtp-server; real submission servers send them, and the worker
    // classifies failures by them (RFC 3463), so the local relay does too.
    hideENHANCEDSTATUSCODES: false,
    // The client is always this machine; a PTR lookup would only add a DNS query.
    // (smtp-server still waits a fixed 100 ms before the greeting to catch clients that
    // talk first, with no option to skip it: each new connection costs about 0.1 s.)
    disableReverseLookup: true,
    closeTimeout: CLOSE_TIMEOUT_MS,
    logger: false,
    onAuth: (auth, _session, callback) => {
      if (checkCredentials(auth, options.user, options.pass)) {
        callback(null, { user: auth.username });
        return;
      }
      logger.warn('dev relay refused a login', { method: auth.method });
      callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onData: (stream, session, callback) => {
      receive(dir, stream, session, logger).then(
        (id) => callback(null, `Ok: queued as ${id}`),
        (error: SmtpError) => callback(error),
      );
    },
  });
  let listening = false;
  // Before listening, errors belong to listen() (a taken 2525 is expected and handled).
  server.on('error', (error) => {
    if (listening) logger.warn('dev relay connection error', { error });
  });

  const port = await listen(server, options.port);
  listening = true;
  const auth = `${encodeURIComponent(options.user)}:${encodeURIComponent(options.pass)}`;
  logger.info('dev relay ready', { host: HOST, port, dir });

  return {
    host: HOST,
    port,
    url: `smtp://${auth}@${HOST}:${port}`,
    caFile: tls.caFile,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}

async function receive(
  dir: string,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  logger: Logger,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Past the limit the bytes are only counted; the server answers 552 for us.
    if (size <= MAX_MESSAGE_BYTES) chunks.push(chunk);
  }
  if (stream.sizeExceeded) throw smtpError(552, 'Message exceeds fixed maximum message size');

  const id = newReceivedId();
  const envelope = {
    mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
    rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
  };
  try {
    await writeDevMessage(dir, Buffer.concat(chunks), {
      id,
      envelope,
      receivedAt: new Date().toISOString(),
      size,
    });
  } catch (error) {
    logger.error('dev relay could not store a message', { error });
    throw smtpError(451, 'Local error in processing, try again later');
  }

  logger.info('dev relay stored a message', { id, size, recipients: envelope.rcptTo.length });
  return id;
}

function checkCredentials(auth: SMTPServerAuthentication, user: string, pass: string): boolean {
  // Compare digests so neither the length nor the content leaks through timing.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const userOk = timingSafeEqual(digest(auth.username ?? ''), digest(user));
  const passOk = timingSafeEqual(digest(auth.password ?? ''), digest(pass));
  return userOk && passOk;
}

async function listen(server: SMTPServer, port: number | undefined): Promise<number> {
  if (port !== undefined) return listenOn(server, port);

  try {
    return await listenOn(server, DEFAULT_PORT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return listenOn(server, 0);
  }
}

function listenOn(server: SMTPServer, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (error: Error) => {
      server.server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.server.off('error', onError);
      resolvePort((server.server.address() as AddressInfo).port);
    };
    server.server.once('error', onError);
    server.server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

function smtpError(responseCode: number, message: string): SmtpError {
  return Object.assign(new Error(message), { responseCode });
}
