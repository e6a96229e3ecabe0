/**
 * One webhook POST. The URL is checked again at delivery time, resolution included, and
 * the socket is opened to the address that check approved: there is no second lookup, so
 * a name that changes its answer between check and connect (DNS rebinding) cannot steer
 * the request elsewhere. TLS still verifies the certificate against the host name.
 *
 * Redirects are never followed: a 3xx is a failed delivery. The receiver's response body
 * is read only up to a small limit so the exchange ends cleanly, then dropped; nothing the
 * receiver writes ends up in the result, which callers store.
 */
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

import { checkWebhookUrl, type HostResolver } from './webhook-url-policy.js';

export const WEBHOOK_USER_AGENT = 'Mailroom-Webhooks/1';
/** The whole delivery: resolution, connection, TLS, request and response headers. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How much of a response body is read (and discarded) before the socket is closed. */
const MAX_RESPONSE_BYTES = 4 * 1024;
/** Codes of TLS handshake and certificate verification failures. */
const TLS_FAILURE = /^ERR_(TLS|SSL)_|CERT|SIGNATURE/;

/** Where a delivery connects: the checked address, with the host name for TLS. */
export interface ConnectTarget {
  address: string;
  port: number;
  tls: boolean;
  /** The host name the certificate must name; absent when the URL host is an IP literal. */
  servername?: string;
}

/** Opens the socket for a delivery; the default is TCP, or TLS with full verification. */
export type ConnectFunction = (target: ConnectTarget) => Duplex;

export interface DeliverWebhookOptions {
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Local development only: allow http and loopback or private-network receivers. */
  allowPrivate: boolean;
  resolve: HostResolver;
  timeoutMs?: number;
  connect?: ConnectFunction;
}

export interface WebhookDelivery {
  /** True for a 2xx answer. */
  ok: boolean;
  status?: number;
  /** What went wrong, in our words; never text or body from the receiver. */
  error?: string;
  durationMs: number;
  /** The address connected to, once the URL passed the checks. */
  address?: string;
}

/** Headers the delivery sets itself; a caller's header of the same name is dropped. */
const OWN_HEADERS = new Set([
  'host', 'content-type', 'content-length', 'user-agent', 'connection', 'transfer-encoding',
]);

export async function deliverWebhook(options: DeliverWebhookOptions): Promise<WebhookDelivery> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const deadline = started + timeoutMs;
  const finish = (result: Omit<WebhookDelivery, 'durationMs'>): WebhookDelivery => ({
    ...result,
    durationMs: Math.round(performance.now() - started),
  });

  const headerProblem = invalidHeader(options.headers);
  if (headerProblem) return finish({ ok: false, error: headerProblem });

  const check = await withinDeadline(
    checkWebhookUrl(options.url, { allowPrivate: options.allowPrivate, resolve: options.resolve }),
    timeoutMs,
  );
  if (check === undefined) return finish({ ok: false, error: timeoutMessage(timeoutMs) });
  if (!check.ok) return finish({ ok: false, error: `refused: ${check.reason}` });

  const { url } = check;
  const address = check.addresses[0] as string;
  const secure = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? undefined : url.hostname.replace(/\.$/, '');
  const target: ConnectTarget = {
    address,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    tls: secure,
    ...(secure && hostname && !net.isIP(hostname) ? { servername: hostname } : {}),
  };
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  const exchange = await post(url, target, headersFor(url, options.headers, body), body, {
    connect: options.connect ?? openSocket,
    remainingMs: Math.max(0, deadline - performance.now()),
    timeoutMs,
  });
  return finish({ ...exchange, address });
}

interface PostSettings {
  connect: ConnectFunction;
  remainingMs: number;
  timeoutMs: number;
}

function post(
  url: URL,
  target: ConnectTarget,
  headers: Record<string, string>,
  body: Uint8Array,
  settings: PostSettings,
): Promise<Omit<WebhookDelivery, 'durationMs' | 'address'>> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let settled = false;
    let request: ClientRequest | undefined;
    const settle = (result: Omit<WebhookDelivery, 'durationMs' | 'address'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.destroy();
      resolve(result);
    };
    const answered = () => settle(outcome(status as number));
    const timer = setTimeout(() => {
      if (status !== undefined) answered();
      else settle({ ok: false, error: timeoutMessage(settings.timeoutMs) });
    }, settings.remainingMs);

    try {
      request = http.request({
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        headers,
        // No agent: the socket comes from `connect`, is used once and closed.
        createConnection: () => settings.connect(target),
      });
    } catch (error) {
      settle({ ok: false, error: failureMessage(error) });
      return;
    }

    request.on('error', (error) => settle({ ok: false, error: failureMessage(error) }));
    request.on('response', (response: IncomingMessage) => {
      status = response.statusCode ?? 0;
      drain(response, answered);
    });
    request.end(body);
  });
}

function drain(response: IncomingMessage, done: () => void): void {
  let received = 0;
  response.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_RESPONSE_BYTES) done();
  });
  response.on('end', done);
  response.on('close', done);
  response.on('error', done);
}

function outcome(status: number): Omit<WebhookDelivery, 'durationMs' | 'address'> {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status >= 300 && status < 400) {
    return { ok: false, status, error: `receiver answered ${status}; redirects are not followed` };
  }
  return { ok: false, status, error: `receiver answered ${status}` };
}

function openSocket(target: ConnectTarget): Duplex {
  if (!target.tls) return net.connect({ host: target.address, port: target.port });
  return tls.connect({
    host: target.address,
    port: target.port,
    ...(target.servername ? { servername: target.servername } : {}),
    rejectUnauthorized: true,
    ALPNProtocols: ['http/1.1'],
  });
}

function headersFor(
  url: URL,
  given: Record<string, string>,
  body: Uint8Array,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const key = name.toLowerCase();
    if (!OWN_HEADERS.has(key)) headers[key] = value;
  }
  return {
    ...headers,
    host: url.host,
    'content-type': 'application/json',
    'content-length': String(body.byteLength),
    'user-agent': WEBHOOK_USER_AGENT,
    connection: 'close',
  };
}

function invalidHeader(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      return 'a webhook request header has an invalid name or value';
    }
  }
  return undefined;
}

async function withinDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}

function timeoutMessage(timeoutMs: number): string {
  return `no answer within ${timeoutMs} ms`;
}

/** Node's error code only: the message of a TLS or parse error can quote the receiver. */
function failureMessage(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const name = typeof code === 'string' ? code : 'unknown error';
  if (name === 'ECONNREFUSED') return 'connection refused';
  if (name === 'ECONNRESET' || name === 'EPIPE') return 'connection reset by the receiver';
  if (name === 'EHOSTUNREACH' || name === 'ENETUNREACH') return 'receiver is unreachable';
  if (name.startsWith('HPE_')) return `receiver sent an invalid HTTP response (${name})`;
  if (TLS_FAILURE.test(name)) return `TLS failed (${name})`;
  return `request failed (${name})`;
}
