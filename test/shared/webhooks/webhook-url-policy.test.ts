import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import {
  checkWebhookUrl,
  type WebhookUrlCheck,
} from '../../../shared/webhooks/webhook-url-policy.js';
import { fakeResolver } from './webhook-receiver.js';

/** A public address the fake DNS hands out; nothing in these tests connects anywhere. */
const PUBLIC = '93.184.216.34';
const PUBLIC_V6 = '2606:2800:220:1:248:1893:25c8:1946';

const C08 = (JSON.parse(
  readFileSync(new URL('../../fixtures/cases/cases.json', import.meta.url), 'utf8'),
) as { id: string; input: { urls?: string[] } }[]).find((entry) => entry.id === 'C-08');
const C08_URLS = C08?.input.urls ?? [];
const REDIRECTING = 'https://hooks.example.com/redirect-to-loopback';

function dns() {
  return fakeResolver({
    'metadata.google.internal': ['169.254.169.254'],
    'hooks.example.com': [PUBLIC],
    'dual.example.com': [PUBLIC, PUBLIC_V6],
    'mixed.example.com': [PUBLIC, '10.0.0.5'],
    'mixed-v6.example.com': [PUBLIC_V6, 'fd00:ec2::254'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
    'nat64.example.com': ['64:ff9b::a9fe:a9fe'],
    'garbage.example.com': ['not-an-address'],
    'empty.example.com': [],
    'localhost': ['127.0.0.1', '::1'],
    'dev.localhost': ['127.0.0.1'],
    'docker.internal': ['192.168.65.2'],
    'box.lan': ['192.168.1.20'],
  });
}

function production(raw: string, resolver = dns()) {
  return checkWebhookUrl(raw, { allowPrivate: false, resolve: resolver });
}

function development(raw: string, resolver = dns()) {
  return checkWebhookUrl(raw, { allowPrivate: true, resolve: resolver });
}

function reasonOf(check: WebhookUrlCheck): string {
  expect(check.ok).toBe(false);
  return check.ok ? '' : check.reason;
}

describe('checkWebhookUrl with production settings', () => {
  it('knows the URLs of case C-08', () => {
    expect(C08_URLS).toHaveLength(12);
    expect(C08_URLS).toContain(REDIRECTING);
  });

  it.each(C08_URLS.filter((url) => url !== REDIRECTING))('refuses %s', async (raw) => {
    const resolver = dns();

    expect((await production(raw, resolver)).ok).toBe(false);
    // The literal and non-http URLs are refused without asking DNS anything.
    expect(resolver.calls.filter((host) => host !== 'metadata.google.internal')).toEqual([]);
  });

  it('accepts the redirecting C-08 URL, which resolves to a public address', async () => {
    const check = await production(REDIRECTING);

    expect(check).toMatchObject({ ok: true, addresses: [PUBLIC] });
    expect(check.ok && check.url.hostname).toBe('hooks.example.com');
  });

  it.each([
    ['decimal', 'https://2130706433/'],
    ['hexadecimal', 'https://0x7f000001/'],
    ['octal', 'https://0177.0.0.1/'],
    ['short', 'https://127.1/'],
    ['mixed radix', 'https://0x7f.0.0.01/'],
    ['hexadecimal parts', 'https://0x7f.0x0.0x0.0x1/'],
    ['trailing dot', 'https://127.0.0.1./'],
    ['percent-encoded', 'https://%31%32%37.0.0.1/'],
    ['full-width digits', 'https://１２７.０.０.１/'],
  ])('normalises the %s spelling of 127.0.0.1 and refuses it', async (_name, raw) => {
    expect(new URL(raw).hostname).toBe('127.0.0.1');

    expect(reasonOf(await production(raw))).toBe(
      'address 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)',
    );
  });

  it.each([
    ['https://0/', '0.0.0.0', /this network/],
    ['https://0x0a000005/', '10.0.0.5', /private network address/],
    ['https://167772165/', '10.0.0.5', /private network address/],
    ['https://2852039166/', '169.254.169.254', /cloud metadata/],
    ['https://0251.0376.0251.0376/', '169.254.169.254', /cloud metadata/],
    ['https://0xa9.254.43518/', '169.254.169.254', /cloud metadata/],
    ['https://192.168.1/', '192.168.0.1', /192\.168\.0\.0\/16/],
  ])('refuses %s, which the URL parser reads as %s', async (raw, ip, reason) => {
    expect(new URL(raw).hostname).toBe(ip);

    expect(reasonOf(await production(raw))).toMatch(reason);
  });

  it.each([
    ['https://[::1]/', /loopback/],
    ['https://[0:0:0:0:0:0:0:1]/', /loopback/],
    ['https://[::]/', /unspecified/],
    ['https://[::ffff:127.0.0.1]/', /loopback.*IPv4-mapped/],
    ['https://[::ffff:7f00:1]/', /loopback.*IPv4-mapped/],
    ['https://[0:0:0:0:0:ffff:a9fe:a9fe]/', /cloud metadata.*IPv4-mapped/],
    ['https://[::127.0.0.1]/', /IPv4-compatible/],
    ['https://[64:ff9b::169.254.169.254]/', /cloud metadata.*NAT64/],
    ['https://[2002:7f00:1::]/', /loopback.*6to4/],
    ['https://[fe80::1]/', /link-local/],
    ['https://[fd00:ec2::254]/', /cloud metadata/],
    ['https://[fc00::5]:8443/', /unique local/],
    ['https://[ff02::1]/', /multicast/],
    ['https://[2001:db8::1]/', /documentation/],
  ])('refuses the IPv6 literal %s', async (raw, reason) => {
    expect(reasonOf(await production(raw))).toMatch(reason);
  });

  it.each([
    ['file:///etc/passwd', /must use https, not file/],
    ['gopher://127.0.0.1:25/_HELO', /must use https, not gopher/],
    ['ftp://hooks.example.com/', /must use https, not ftp/],
    ['javascript:alert(1)', /must use https, not javascript/],
    ['data:text/plain,hello', /must use https, not data/],
    ['ws://hooks.example.com/', /must use https, not ws/],
    ['http://hooks.example.com/', /must use https; http is for local development only/],
  ])('refuses the scheme of %s', async (raw, reason) => {
    const resolver = dns();

    expect(reasonOf(await production(raw, resolver))).toMatch(reason);
    expect(resolver.calls).toEqual([]);
  });

  it.each([
    ['not a url', /not a valid absolute URL/],
    ['/relative/path', /not a valid absolute URL/],
    ['https://', /not a valid absolute URL/],
    ['https://hooks.example.com:99999/', /not a valid absolute URL/],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, /longer than 2048 characters/],
  ])('refuses the malformed URL %s', async (raw, reason) => {
    expect(reasonOf(await production(raw))).toMatch(reason);
  });

  it('refuses credentials in the URL without repeating them', async () => {
    const reason = reasonOf(await production('https://hook-user:s3cr3t-pw@hooks.example.com/'));

    expect(reason).toBe('webhook URL must not contain a user name or password');
    expect(reason).not.toContain('s3cr3t');
  });

  it('never repeats the path or query, where a token may live', async () => {
    const reason = reasonOf(await production('https://10.0.0.5/hook?token=tok_live_abc123'));

    expect(reason).not.toContain('tok_live_abc123');
  });

  it.each([25, 22, 465, 587, 6667, 10080])(
    'refuses port %i, which belongs to another protocol',
    async (port) => {
      const reason = reasonOf(await production(`https://hooks.example.com:${port}/`));

      expect(reason).toBe(`webhook URL port ${port} is reserved for another protocol`);
    },
  );

  it.each([443, 8443, 8080, 3000, 9000, 6379])('accepts port %i', async (port) => {
    expect((await production(`https://hooks.example.com:${port}/hook`)).ok).toBe(true);
  });

  it.each([
    ['https://localhost/', /localhost is the local machine/],
    ['https://localhost./', /localhost\. is the local machine/],
    ['https://LOCALHOST:8443/', /localhost is the local machine/],
    ['https://dev.localhost/', /dev\.localhost is the local machine/],
    ['https://metadata.google.internal/', /metadata\.google\.internal is a cloud metadata service/],
    ['https://metadata.google.internal./', /cloud metadata service/],
    ['https://metadata/', /cloud metadata service/],
    ['https://metadata.goog/', /cloud metadata service/],
    ['https://instance-data/', /cloud metadata service/],
    ['https://redis/', /redis is not a fully qualified public name/],
    ['https://docker.internal/', /under \.internal, which public DNS does not serve/],
    ['https://printer.local/', /under \.local/],
    ['https://box.lan/', /under \.lan/],
    ['https://hooks.test/', /under \.test/],
    ['https://1.0.0.127.in-addr.arpa/', /under \.arpa/],
    ['https://router.home.arpa/', /under \.arpa/],
  ])('refuses the host name of %s without resolving it', async (raw, reason) => {
    const resolver = dns();

    expect(reasonOf(await production(raw, resolver))).toMatch(reason);
    expect(resolver.calls).toEqual([]);
  });

  it.each([
    ['an empty label', 'https://hooks..example.com/', /empty label/],
    ['a label over 63 characters', `https://${'a'.repeat(64)}.example.com/`, /longer than 63/],
    ['a name over 253 characters', `https://${'abcdefg.'.repeat(32)}com/`, /longer than 253/],
    ['characters DNS does not allow', 'https://hooks!.example.com/', /only letters, digits/],
  ])('refuses a host name with %s', async (_name, raw, reason) => {
    expect(reasonOf(await production(raw))).toMatch(reason);
  });

  it('refuses a name when any of its addresses is private, even among public ones', async () => {
    expect(reasonOf(await production('https://mixed.example.com/'))).toBe(
      'host mixed.example.com resolves to a forbidden private network address (10.0.0.0/8)',
    );
    expect(reasonOf(await production('https://mixed-v6.example.com/'))).toMatch(/cloud metadata/);
  });

  it('does not reveal which private address a name resolves to', async () => {
    const reason = reasonOf(await production('https://mixed.example.com/'));

    expect(reason).not.toContain('10.0.0.5');
  });

  it.each([
    ['mapped.example.com', /loopback.*IPv4-mapped/],
    ['nat64.example.com', /cloud metadata.*NAT64/],
    ['garbage.example.com', /not a plain IP address/],
  ])('judges every form of address %s resolves to', async (host, reason) => {
    expect(reasonOf(await production(`https://${host}/`))).toMatch(reason);
  });

  it('refuses a name that does not resolve or has no address', async () => {
    expect(reasonOf(await production('https://nowhere.example.com/'))).toBe(
      'host nowhere.example.com could not be resolved',
    );
    expect(reasonOf(await production('https://empty.example.com/'))).toBe(
      'host empty.example.com has no address',
    );
  });

  it('accepts a public name and gives every address it resolved to', async () => {
    const resolver = dns();
    const check = await production('https://dual.example.com/hooks/mail?v=1', resolver);

    expect(check).toMatchObject({ ok: true, addresses: [PUBLIC, PUBLIC_V6] });
    expect(check.ok && check.url.pathname).toBe('/hooks/mail');
    expect(resolver.calls).toEqual(['dual.example.com']);
  });

  it('accepts public IP literals without resolving them', async () => {
    const resolver = dns();

    expect(await production(`https://${PUBLIC}/hook`, resolver))
      .toMatchObject({ ok: true, addresses: [PUBLIC] });
    expect(await production(`https://[${PUBLIC_V6}]/hook`, resolver))
      .toMatchObject({ ok: true, addresses: [PUBLIC_V6] });
    expect(resolver.calls).toEqual([]);
  });
});

describe('checkWebhookUrl for local development (allowPrivate)', () => {
  it('accepts http to a loopback receiver', async () => {
    expect(await development('http://127.0.0.1:45678/hook'))
      .toMatchObject({ ok: true, addresses: ['127.0.0.1'] });
    expect(await development('http://[::1]:8080/')).toMatchObject({ ok: true, addresses: ['::1'] });
    expect(await development('http://localhost:3000/'))
      .toMatchObject({ ok: true, addresses: ['127.0.0.1', '::1'] });
  });

  it('accepts private-network receivers and their names', async () => {
    expect((await development('http://10.0.0.5/hook')).ok).toBe(true);
    expect((await development('http://docker.internal:8080/')).ok).toBe(true);
    expect((await development('http://box.lan/')).ok).toBe(true);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://[fd00:ec2::254]/', /cloud metadata/],
    ['http://[::ffff:169.254.169.254]/', /cloud metadata/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata service/],
    ['http://169.254.10.1/', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://0.0.0.0:8080/', /this network/],
    ['http://[::]:8080/', /unspecified/],
    ['http://[2002:7f00:1::]/', /6to4/],
    ['http://224.0.0.251/', /multicast/],
    ['gopher://127.0.0.1:25/_HELO', /not gopher/],
    ['http://127.0.0.1:25/', /port 25/],
    ['http://user:pw@127.0.0.1/', /user name or password/],
  ])('still refuses %s', async (raw, reason) => {
    expect(reasonOf(await development(raw))).toMatch(reason);
  });
});
