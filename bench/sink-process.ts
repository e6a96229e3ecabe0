/**
 * The benchmark's SMTP sink, in its own process: an `smtp-server` relay on 127.0.0.1 with
 * STARTTLS (a certificate from a throw-away CA the senders trust) and AUTH PLAIN required,
 * like a real submission server. For each message it keeps the time the final 250 was
 * given and the Mailroom email id read from the Message-ID header (`<em_...@domain>`).
 *
 * It also runs a "down" relay: a port whose listener closes every connection at once.
 *
 * smtp-server waits a fixed 100 ms before it greets a new connection. Senders here keep
 * their connections open, so this costs once per connection, not per message.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

import { createCertificateAuthority, issueServerCertificate } from '../local/certificates.js';
import { serveParent } from './serve-parent.js';
import { wallClockMs } from './wall-clock.js';

export interface SinkInfo {
  port: number;
  downPort: number;
  user: string;
  pass: string;
  caFile: string;
}

export interface SinkStats {
  messages: number;
  /** Messages without a Mailroom email id in their Message-ID. */
  unidentified: number;
  connections: number;
  authFailures: number;
  /** Connections the "down" relay accepted and closed at once. */
  downConnections: number;
}

/** [email id, wall-clock ms of the 250 after DATA]. */
export type Receipt = [string, number];

const HOST = '127.0.0.1';
const USER = 'bench-relay';
const MESSAGE_ID = /^message-id:[ \t]*<(em_[0-9a-z]+)@/im;
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 1_000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' } } });
  if (!values.dir) throw new Error('--dir is required');

  const ca = createCertificateAuthority('Mailroom Bench CA');
  const certificate = issueServerCertificate(ca, ['localhost', HOST]);
  const caFile = join(values.dir, 'sink-ca.pem');
  writeFileSync(caFile, ca.certPem);

  const pass = randomBytes(12).toString('base64url');
  const stats: SinkStats = {
    messages: 0, unidentified: 0, connections: 0, authFailures: 0, downConnections: 0,
  };
  let fresh: Receipt[] = [];

  const smtp = new SMTPServer({
    secure: false,
    key: certificate.keyPem,
    cert: certificate.certPem,
    // AUTH only inside TLS and MAIL only after AUTH: STARTTLS and AUTH are both required.
    allowInsecureAuth: false,
    authOptional: false,
    authMethods: ['PLAIN'],
    size: MAX_MESSAGE_BYTES,
    disableReverseLookup: true,
    closeTimeout: CLOSE_TIMEOUT_MS,
    logger: false,
    onConnect: (_session, callback) => {
      stats.connections++;
      callback();
    },
    onAuth: (auth, _session, callback) => {
      if (sameSecret(auth.username ?? '', USER) && sameSecret(auth.password ?? '', pass)) {
        callback(null, { user: USER });
        return;
      }
      stats.authFailures++;
      callback(Object.assign(new Error('Authentication credentials invalid'),
        { responseCode: 535 }));
    },
    onData: (stream, _session, callback) => {
      readHeader(stream).then((header) => {
        const id = MESSAGE_ID.exec(header)?.[1];
        stats.messages++;
        if (id) fresh.push([id, wallClockMs()]);
        else stats.unidentified++;
        callback(null, 'Ok: queued');
      }, (error: Error) => callback(error));
    },
  });
  smtp.on('error', () => {
    // A client that drops its connection is not the sink's problem.
  });
  const port = await listen(smtp.server);

  const down = createServer((socket) => {
    stats.downConnections++;
    socket.destroy();
  });
  const downPort = await listen(down);

  const info: SinkInfo = { port, downPort, user: USER, pass, caFile };
  serveParent({
    drain: () => {
      const taken = fresh;
      fresh = [];
      return taken;
    },
    stats: () => ({ ...stats }),
  }, async () => {
    await Promise.all([
      new Promise<void>((done) => smtp.close(() => done())),
      new Promise<void>((done) => down.close(() => done())),
    ]);
  }, info);
}

/** The header block as text; the body is read and dropped. */
async function readHeader(stream: SMTPServerDataStream): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let complete = false;

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (complete || kept > MAX_HEADER_BYTES) continue;
    chunks.push(chunk);
    kept += chunk.length;
    complete = Buffer.concat(chunks).includes(HEADER_END);
  }
  if (stream.sizeExceeded) {
    throw Object.assign(new Error('Message too big'), { responseCode: 552 });
  }

  const all = Buffer.concat(chunks);
  const end = all.indexOf(HEADER_END);
  return all.subarray(0, end === -1 ? all.length : end).toString('latin1');
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

await main();
