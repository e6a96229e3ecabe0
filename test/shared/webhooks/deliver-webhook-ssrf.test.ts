/**
 * Case C-08: a webhook URL must not become a way into loopback, private networks or cloud
 * metadata, neither through a redirect nor through a name that changes its answer between
 * the check and the connection. Nothing here leaves 127.0.0.1: where a delivery is meant
 * to reach a public address, the connect spy records that address and routes the socket
 * to a loopback receiver standing in for it.
 */
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';

import {
  createCertificateAuthority,
  issueServerCertificate,
  type CertificateAuthority,
  type ServerCertificate,
} from '../../../local/certificates.js';
import { deliverWebhook, type ConnectTarget } from '../../../shared/webhooks/deliver-webhook.js';
import { checkWebhookUrl } from '../../../shared/webhooks/webhook-url-policy.js';
import {
  connectSpy, fakeResolver, startReceiver, type WebhookReceiver,
} from './webhook-receiver.js';

/** What the test DNS says hooks.example.com is; never connected to. */
const PUBLIC = '93.184.216.34';
const REDIRECTING = 'https://hooks.example.com/redirect-to-loopback';
const BODY = '{"type":"email.sent","data":{"id":"em_1"}}';

let ca: CertificateAuthority;
let hooksCertificate: ServerCertificate;

beforeAll(() => {
  ca = createCertificateAuthority('Webhook Test CA');
  hooksCertificate = issueServerCertificate(ca, ['hooks.example.com']);
});

/** The loopback listener a redirect points at; it must never see a request. */
async function loopbackTarget(): Promise<WebhookReceiver> {
  return startReceiver({ respond: (_request, response) => response.writeHead(200).end('pwned') });
}

/** Stands in for the network route to a public address: TLS to a loopback receiver. */
function routeTo(receiver: WebhookReceiver) {
  return connectSpy((target: ConnectTarget) => {
    if (target.address !== PUBLIC) throw new Error(`unexpected target ${target.address}`);
    return tls.connect({
      host: '127.0.0.1',
      port: receiver.port,
      servername: target.servername,
      ca: ca.certPem,
    });
  });
}

describe('webhook delivery against SSRF (C-08)', () => {
  it('does not follow a redirect from a public receiver into loopback', async () => {
    const listener = await loopbackTarget();
    const location = `http://127.0.0.1:${listener.port}/`;
    const publicHost = await startReceiver({
      tls: hooksCertificate,
      respond: (_request, response) => response.writeHead(302, { location }).end(location),
    });
    const resolve = fakeResolver({ 'hooks.example.com': [PUBLIC] });
    const connect = routeTo(publicHost);

    const registered = await checkWebhookUrl(REDIRECTING, { allowPrivate: false, resolve });
    const result = await deliverWebhook({
      url: REDIRECTING, headers: {}, body: BODY, allowPrivate: false, resolve, connect,
    });

    expect(registered.ok).toBe(true);
    expect(result).toMatchObject({
      ok: false,
      status: 302,
      error: 'receiver answered 302; redirects are not followed',
      address: PUBLIC,
    });
    expect(JSON.stringify(result)).not.toContain(location);
    expect(connect.targets).toEqual([
      { address: PUBLIC, port: 443, tls: true, servername: 'hooks.example.com' },
    ]);
    expect(publicHost.servernames).toEqual(['hooks.example.com']);
    expect(publicHost.requests.map((request) => request.url)).toEqual(['/redirect-to-loopback']);
    expect(listener.requests).toHaveLength(0);
  });

  it.each([301, 302, 303, 307, 308])('records a %i as a failure and stays put', async (status) => {
    const listener = await loopbackTarget();
    const redirecting = await startReceiver({
      respond: (_request, response) => {
        response.writeHead(status, { location: `http://127.0.0.1:${listener.port}/` }).end();
      },
    });

    const result = await deliverWebhook({
      url: `${redirecting.origin}/hook`,
      headers: {},
      body: BODY,
      allowPrivate: true,
      resolve: fakeResolver({}),
    });

    expect(result).toMatchObject({ ok: false, status });
    expect(redirecting.requests).toHaveLength(1);
    expect(listener.requests).toHaveLength(0);
  });

  it('refuses when the name turns to metadata at delivery time, without connecting', async () => {
    const resolve = fakeResolver({ 'hooks.example.com': [[PUBLIC], ['169.254.169.254']] });
    const connect = connectSpy();

    const registered = await checkWebhookUrl(REDIRECTING, { allowPrivate: false, resolve });
    const result = await deliverWebhook({
      url: REDIRECTING, headers: {}, body: BODY, allowPrivate: false, resolve, connect,
    });

    expect(registered.ok).toBe(true);
    expect(result).toMatchObject({
      ok: false,
      error: 'refused: host hooks.example.com resolves to a forbidden cloud metadata address ' +
        '(169.254.169.254/32)',
    });
    expect(result.address).toBeUndefined();
    expect(connect.targets).toEqual([]);
  });

  it('refuses when a delivery-time answer mixes public and loopback addresses', async () => {
    const listener = await loopbackTarget();
    const resolve = fakeResolver({ 'hooks.example.com': [PUBLIC, '127.0.0.1'] });
    const connect = connectSpy();

    const result = await deliverWebhook({
      url: `https://hooks.example.com:${listener.port}/`,
      headers: {},
      body: BODY,
      allowPrivate: false,
      resolve,
      connect,
    });

    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/loopback address/) });
    expect(connect.targets).toEqual([]);
    expect(listener.requests).toHaveLength(0);
  });

  it('connects to the address it checked; a later answer cannot redirect it', async () => {
    const publicHost = await startReceiver({ tls: hooksCertificate });
    // Any lookup after the first would point at loopback.
    const resolve = fakeResolver({ 'hooks.example.com': [[PUBLIC], ['127.0.0.1']] });
    const connect = routeTo(publicHost);

    const result = await deliverWebhook({
      url: 'https://hooks.example.com/mail', headers: {}, body: BODY, allowPrivate: false,
      resolve, connect,
    });

    expect(result).toMatchObject({ ok: true, status: 204, address: PUBLIC });
    expect(resolve.calls).toEqual(['hooks.example.com']);
    expect(connect.targets.map((target) => target.address)).toEqual([PUBLIC]);
    expect(publicHost.requests).toHaveLength(1);
  });

  it('opens its own socket to the checked address without asking the system resolver', async () => {
    const receiver = await startReceiver();
    const systemLookup = vi.spyOn(dns, 'lookup').mockImplementation(((
      _host: string, _options: unknown, callback: (error: Error) => void,
    ) => callback(new Error('system DNS is off limits in this test'))) as typeof dns.lookup);
    onTestFinished(() => systemLookup.mockRestore());
    await expectSpyInterceptsNet(systemLookup);
    systemLookup.mockClear();
    const resolve = fakeResolver({ 'rebind.test': [['127.0.0.1'], ['169.254.169.254']] });

    const result = await deliverWebhook({
      url: `http://rebind.test:${receiver.port}/`, headers: {}, body: BODY, allowPrivate: true,
      resolve,
    });

    expect(result).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(resolve.calls).toEqual(['rebind.test']);
    expect(systemLookup).not.toHaveBeenCalled();
    expect(receiver.requests).toHaveLength(1);
  });

  it.each([
    (port: number) => `http://127.0.0.1:${port}/`,
    (port: number) => `https://127.0.0.1:${port}/`,
    (port: number) => `https://[::ffff:127.0.0.1]:${port}/`,
    (port: number) => `https://2130706433:${port}/`,
    (port: number) => `https://localhost:${port}/`,
  ])('refuses loopback in production before connecting (%#)', async (urlFor) => {
    const listener = await loopbackTarget();
    const connect = connectSpy();

    const result = await deliverWebhook({
      url: urlFor(listener.port), headers: {}, body: BODY, allowPrivate: false,
      resolve: fakeResolver({ localhost: ['127.0.0.1'] }), connect,
    });

    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^refused: /) });
    expect(connect.targets).toEqual([]);
    expect(listener.requests).toHaveLength(0);
  });

  it('refuses metadata even for local development, before connecting', async () => {
    const connect = connectSpy();

    const result = await deliverWebhook({
      url: 'http://169.254.169.254/latest/meta-data/', headers: {}, body: BODY,
      allowPrivate: true, resolve: fakeResolver({}), connect,
    });

    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/cloud metadata/) });
    expect(connect.targets).toEqual([]);
  });
});

/** Proves the spy sees the lookups `net` makes, so "not called" means something. */
async function expectSpyInterceptsNet(spy: { mock: { calls: unknown[][] } }): Promise<void> {
  const socket = net.connect({ host: 'spy-check.test', port: 80 });
  await new Promise((resolve) => socket.once('error', resolve));
  expect(spy.mock.calls.map((call) => call[0])).toEqual(['spy-check.test']);
}
