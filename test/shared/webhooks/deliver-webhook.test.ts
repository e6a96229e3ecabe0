import { describe, expect, it } from 'vitest';

import {
  createCertificateAuthority,
  issueServerCertificate,
} from '../../../local/certificates.js';
import {
  deliverWebhook,
  type DeliverWebhookOptions,
} from '../../../shared/webhooks/deliver-webhook.js';
import { webhookHeaders } from '../../../shared/webhooks/webhook-signature.js';
import {
  closedPort,
  connectSpy,
  fakeResolver,
  startReceiver,
  type Respond,
} from './webhook-receiver.js';

const SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const BODY = '{"type":"email.delivered","data":{"id":"em_7","subject":"Grüße ✓"}}';
const RECEIVER_SECRET_TEXT = 'internal-stack-trace: db password is hunter2';

function loopbackDns() {
  return fakeResolver({ 'hooks.test': ['127.0.0.1'] });
}

function deliver(options: Partial<DeliverWebhookOptions> & { url: string }) {
  return deliverWebhook({
    headers: {},
    body: BODY,
    allowPrivate: true,
    resolve: loopbackDns(),
    timeoutMs: 2_000,
    ...options,
  });
}

function answer(status: number, body = '', headers: Record<string, string> = {}): Respond {
  return (_request, response) => response.writeHead(status, headers).end(body);
}

describe('deliverWebhook', () => {
  it('POSTs the exact body bytes with the signature headers and its own headers', async () => {
    const receiver = await startReceiver();
    const signed = webhookHeaders({
      id: 'msg_1', timestamp: 1_767_225_600, body: BODY, secrets: [SECRET],
    });

    const result = await deliver({
      url: `${receiver.origin}/hooks/mail?tenant=acme`,
      headers: { ...signed, 'X-Extra': 'yes' },
    });

    expect(result).toMatchObject({ ok: true, status: 204, address: '127.0.0.1' });
    expect(result.error).toBeUndefined();
    const [request] = receiver.requests;
    expect(receiver.requests).toHaveLength(1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hooks/mail?tenant=acme');
    expect(request?.body.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
    expect(request?.headers).toMatchObject({
      ...signed,
      'x-extra': 'yes',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(BODY)),
      'user-agent': 'Mailroom-Webhooks/1',
      host: `127.0.0.1:${receiver.port}`,
    });
  });

  it('sends a byte body unchanged', async () => {
    const receiver = await startReceiver();
    const bytes = Buffer.from([0x7b, 0x7d, 0x0a, 0xe2, 0x9c, 0x93]);

    await deliver({ url: receiver.origin, body: bytes });

    expect(receiver.requests[0]?.body.equals(bytes)).toBe(true);
  });

  it('sends the host name it was given, and connects to the address it resolved', async () => {
    const receiver = await startReceiver();
    const resolver = loopbackDns();

    const result = await deliver({ url: `http://hooks.test:${receiver.port}/`, resolve: resolver });

    expect(result).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(receiver.requests[0]?.headers.host).toBe(`hooks.test:${receiver.port}`);
    expect(resolver.calls).toEqual(['hooks.test']);
  });

  it('keeps its own host, length, type and user agent over the caller\'s', async () => {
    const receiver = await startReceiver();

    await deliver({
      url: receiver.origin,
      headers: {
        Host: 'metadata.google.internal',
        'Content-Length': '1',
        'content-type': 'text/plain',
        'User-Agent': 'curl/8',
      },
    });

    expect(receiver.requests[0]?.headers).toMatchObject({
      host: `127.0.0.1:${receiver.port}`,
      'content-length': String(Buffer.byteLength(BODY)),
      'content-type': 'application/json',
      'user-agent': 'Mailroom-Webhooks/1',
    });
  });

  it('records a 500 as a failure with its status and nothing the receiver wrote', async () => {
    const receiver = await startReceiver({
      respond: answer(500, RECEIVER_SECRET_TEXT, { 'x-debug': RECEIVER_SECRET_TEXT }),
    });

    const result = await deliver({ url: receiver.origin });

    expect(result).toMatchObject({ ok: false, status: 500, error: 'receiver answered 500' });
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('succeeds on a 2xx with a large body, which it neither keeps nor returns', async () => {
    const big = `${RECEIVER_SECRET_TEXT}\n`.repeat(50_000);
    const receiver = await startReceiver({ respond: answer(200, big) });

    const result = await deliver({ url: receiver.origin });

    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(Object.keys(result).sort()).toEqual(['address', 'durationMs', 'ok', 'status']);
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('gives up on a receiver that never answers, within the timeout', async () => {
    const receiver = await startReceiver({ respond: () => {} });

    const result = await deliver({ url: receiver.origin, timeoutMs: 300 });

    expect(result).toMatchObject({ ok: false, error: 'no answer within 300 ms' });
    expect(result.status).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(1_500);
    expect(receiver.requests).toHaveLength(1);
  });

  it('counts resolution against the same timeout', async () => {
    const spy = connectSpy();
    const hanging = () => new Promise<string[]>(() => {});

    const result = await deliver({
      url: 'http://hooks.test/', resolve: hanging, timeoutMs: 200, connect: spy,
    });

    expect(result).toMatchObject({ ok: false, error: 'no answer within 200 ms' });
    expect(result.durationMs).toBeLessThan(1_500);
    expect(spy.targets).toEqual([]);
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();

    const result = await deliver({ url: `http://127.0.0.1:${port}/` });

    expect(result).toMatchObject({ ok: false, error: 'connection refused', address: '127.0.0.1' });
  });

  it('refuses header values that would split the request, before connecting', async () => {
    const spy = connectSpy();

    const result = await deliver({
      url: 'http://127.0.0.1:8080/',
      headers: { 'x-note': 'a\r\nx-injected: 1' },
      connect: spy,
    });

    expect(result).toMatchObject({
      ok: false, error: 'a webhook request header has an invalid name or value',
    });
    expect(spy.targets).toEqual([]);
  });

  it('sends the host name as TLS server name and refuses an unverifiable certificate', async () => {
    const untrusted = issueServerCertificate(createCertificateAuthority('Untrusted Test CA'), [
      'hooks.test',
    ]);
    const receiver = await startReceiver({ tls: untrusted });

    const result = await deliver({ url: `https://hooks.test:${receiver.port}/` });

    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^TLS failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|.*CERT.*)\)$/),
      address: '127.0.0.1',
    });
    expect(receiver.servernames).toEqual(['hooks.test']);
    expect(receiver.requests).toEqual([]);
  });
});
