/**
 * Webhook receivers for tests: HTTP or HTTPS servers on 127.0.0.1 port 0 that record every
 * request, a fake resolver, and a connect spy that refuses to open anything but loopback.
 */
import http, {
  type IncomingHttpHeaders, type IncomingMessage, type ServerResponse,
} from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import tls, { type SecureContext } from 'node:tls';
import { onTestFinished } from 'vitest';

import type { ConnectFunction, ConnectTarget } from '../../../shared/webhooks/deliver-webhook.js';
import type { HostResolver } from '../../../shared/webhooks/webhook-url-policy.js';
import { verifySignature } from '../../../shared/webhooks/webhook-signature.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface WebhookReceiver {
  port: number;
  /** `http://127.0.0.1:<port>` (or https). */
  origin: string;
  requests: RecordedRequest[];
  /** TLS server names the clients asked for, in order. */
  servernames: string[];
}

export type Respond = (request: RecordedRequest, response: ServerResponse) => void;

export interface ReceiverOptions {
  respond?: Respond;
  tls?: { keyPem: string; certPem: string };
}

/** Whether a received request carries a valid signature made with `secret`. */
export function signedWith(request: RecordedRequest, secret: string): boolean {
  return verifySignature({
    id: String(request.headers['webhook-id']),
    timestamp: String(request.headers['webhook-timestamp']),
    body: request.body,
    header: String(request.headers['webhook-signature']),
    secret,
  });
}

/** Starts a receiver on 127.0.0.1 port 0, closed when the test finishes. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<WebhookReceiver> {
  const respond = options.respond ?? ((_request, response) => response.writeHead(204).end());
  const requests: RecordedRequest[] = [];
  const servernames: string[] = [];

  const onRequest = (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(request);
      respond(request, response);
    });
  };
  const server = options.tls
    ? https.createServer(tlsOptions(options.tls, servernames), onRequest)
    : http.createServer(onRequest);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => close(server));

  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';
  return { port, origin: `${scheme}://127.0.0.1:${port}`, requests, servernames };
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface FakeResolver extends HostResolver {
  calls: string[];
}

/**
 * Answers from a table; a list of answers is given out one per call, the last one repeated.
 * Unknown names fail like NXDOMAIN. Nothing is ever asked of real DNS.
 */
export function fakeResolver(table: Record<string, string[] | string[][]>): FakeResolver {
  const calls: string[] = [];
  const resolver = async (host: string): Promise<string[]> => {
    const answers = table[host];
    const index = calls.filter((call) => call === host).length;
    calls.push(host);
    if (!answers) throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    if (!Array.isArray(answers[0])) return answers as string[];

    const sequence = answers as string[][];
    return sequence[Math.min(index, sequence.length - 1)] as string[];
  };
  return Object.assign(resolver, { calls });
}

export interface ConnectSpy extends ConnectFunction {
  targets: ConnectTarget[];
}

/**
 * Records where a delivery would connect. `route` opens the socket (to loopback only);
 * without it the spy opens a plain TCP connection to the target when it is loopback.
 */
export function connectSpy(route?: (target: ConnectTarget) => Duplex): ConnectSpy {
  const targets: ConnectTarget[] = [];
  const spy = (target: ConnectTarget): Duplex => {
    targets.push(target);
    if (route) return route(target);
    if (target.address !== '127.0.0.1' && target.address !== '::1') {
      throw new Error(`a test delivery tried to reach ${target.address}`);
    }
    return net.connect({ host: target.address, port: target.port });
  };
  return Object.assign(spy, { targets });
}

/** Records the server name of every ClientHello, even when the client rejects the cert. */
function tlsOptions(pems: { keyPem: string; certPem: string }, servernames: string[]) {
  const context = tls.createSecureContext({ key: pems.keyPem, cert: pems.certPem });
  return {
    key: pems.keyPem,
    cert: pems.certPem,
    SNICallback: (servername: string, done: (error: Error | null, ctx: SecureContext) => void) => {
      servernames.push(servername);
      done(null, context);
    },
  };
}

function close(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
