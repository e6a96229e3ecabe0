import { describe, expect, it } from 'vitest';

import { isForbiddenAddress, type AddressRange } from '../../../shared/webhooks/address-policy.js';

type Case = [ip: string, range: AddressRange, reason: RegExp];

const FORBIDDEN_IPV4: Case[] = [
  ['0.0.0.0', 'special', /this network.*0\.0\.0\.0\/8/],
  ['0.255.1.2', 'special', /0\.0\.0\.0\/8/],
  ['10.0.0.5', 'private', /private network address \(10\.0\.0\.0\/8\)/],
  ['10.255.255.255', 'private', /10\.0\.0\.0\/8/],
  ['100.64.0.1', 'private', /carrier-grade NAT.*100\.64\.0\.0\/10/],
  ['100.127.255.254', 'private', /100\.64\.0\.0\/10/],
  ['100.100.100.200', 'metadata', /cloud metadata/],
  ['127.0.0.1', 'loopback', /loopback address \(127\.0\.0\.0\/8\)/],
  ['127.255.255.254', 'loopback', /127\.0\.0\.0\/8/],
  ['169.254.169.254', 'metadata', /cloud metadata address \(169\.254\.169\.254\/32\)/],
  ['169.254.170.2', 'link-local', /link-local address \(169\.254\.0\.0\/16\)/],
  ['169.254.0.1', 'link-local', /169\.254\.0\.0\/16/],
  ['172.16.0.1', 'private', /172\.16\.0\.0\/12/],
  ['172.31.255.255', 'private', /172\.16\.0\.0\/12/],
  ['192.0.0.8', 'special', /192\.0\.0\.0\/24/],
  ['192.0.0.192', 'special', /192\.0\.0\.0\/24/],
  ['192.0.2.10', 'special', /documentation.*192\.0\.2\.0\/24/],
  ['192.88.99.1', 'special', /6to4 relay/],
  ['192.168.1.1', 'private', /192\.168\.0\.0\/16/],
  ['198.18.0.1', 'special', /benchmarking.*198\.18\.0\.0\/15/],
  ['198.19.255.255', 'special', /198\.18\.0\.0\/15/],
  ['198.51.100.7', 'special', /documentation.*198\.51\.100\.0\/24/],
  ['203.0.113.9', 'special', /documentation.*203\.0\.113\.0\/24/],
  ['224.0.0.1', 'special', /multicast.*224\.0\.0\.0\/4/],
  ['239.255.255.250', 'special', /multicast/],
  ['240.0.0.1', 'special', /reserved.*240\.0\.0\.0\/4/],
  ['255.255.255.254', 'special', /reserved/],
  ['255.255.255.255', 'special', /broadcast.*255\.255\.255\.255\/32/],
];

const FORBIDDEN_IPV6: Case[] = [
  ['::', 'special', /unspecified/],
  ['::1', 'loopback', /loopback address \(::1\/128\)/],
  ['0:0:0:0:0:0:0:1', 'loopback', /loopback/],
  ['fe80::1', 'link-local', /link-local address \(fe80::\/10\)/],
  ['febf:ffff::1', 'link-local', /fe80::\/10/],
  ['fc00::1', 'private', /unique local address \(fc00::\/7\)/],
  ['fd12:3456:789a::1', 'private', /fc00::\/7/],
  ['fd00:ec2::254', 'metadata', /cloud metadata address \(fd00:ec2::254\/128\)/],
  ['fec0::1', 'special', /site-local/],
  ['ff02::1', 'special', /multicast address \(ff00::\/8\)/],
  ['ff05::1:3', 'special', /multicast/],
  ['2001:db8::1', 'special', /documentation address \(2001:db8::\/32\)/],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'special', /2001:db8::\/32/],
  ['3fff::1', 'special', /documentation address \(3fff::\/20\)/],
  ['2001::1', 'special', /Teredo/],
  ['100::1', 'special', /discard-only/],
  ['64:ff9b:1::1', 'special', /local-use NAT64/],
  // IPv4-compatible (deprecated): refused whatever it carries.
  ['::7f00:1', 'special', /IPv4-compatible/],
  ['::127.0.0.1', 'special', /IPv4-compatible/],
  ['::8.8.8.8', 'special', /IPv4-compatible/],
  // IPv4-mapped: judged by the IPv4 address it carries.
  ['::ffff:127.0.0.1', 'loopback', /^loopback address \(127\.0\.0\.0\/8\), embedded in an IPv4-/],
  ['::ffff:7f00:1', 'loopback', /loopback.*IPv4-mapped/],
  ['0:0:0:0:0:ffff:7f00:1', 'loopback', /loopback.*IPv4-mapped/],
  ['::FFFF:A9FE:A9FE', 'metadata', /cloud metadata.*IPv4-mapped/],
  ['::ffff:169.254.169.254', 'metadata', /cloud metadata.*IPv4-mapped/],
  ['::ffff:10.0.0.5', 'private', /10\.0\.0\.0\/8.*IPv4-mapped/],
  ['::ffff:0.0.0.0', 'special', /this network.*IPv4-mapped/],
  // NAT64 and 6to4 reach the IPv4 host through a translator: always special.
  ['64:ff9b::7f00:1', 'special', /loopback.*NAT64/],
  ['64:ff9b::169.254.169.254', 'special', /cloud metadata.*NAT64/],
  ['64:ff9b::a00:5', 'special', /private network.*NAT64/],
  ['2002:7f00:1::', 'special', /loopback.*6to4/],
  ['2002:a9fe:a9fe::1', 'special', /cloud metadata.*6to4/],
  ['2002:c0a8:101::1', 'special', /192\.168\.0\.0\/16.*6to4/],
  // Outside 2000::/3 without a more specific entry: not global unicast.
  ['::ffff:0:7f00:1', 'special', /outside 2000::\/3/],
  ['5f00::1', 'special', /outside 2000::\/3/],
  ['4000::1', 'special', /outside 2000::\/3/],
  ['e000::1', 'special', /outside 2000::\/3/],
];

const ALLOWED = [
  '93.184.216.34',
  '8.8.8.8',
  '1.1.1.1',
  '100.63.255.255',
  '100.128.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.1',
  '192.169.0.1',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '169.253.255.255',
  '11.0.0.0',
  '2606:4700:4700::1111',
  '2a00:1450:4001:80b::200e',
  '2001:4860:4860::8888',
  '2001:200::1',
  '::ffff:8.8.8.8',
  '::ffff:93.184.216.34',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('isForbiddenAddress', () => {
  it.each(FORBIDDEN_IPV4)('forbids IPv4 %s as %s', (ip, range, reason) => {
    const verdict = isForbiddenAddress(ip);

    expect(verdict).toMatchObject({ forbidden: true, range });
    expect(verdict.reason).toMatch(reason);
  });

  it.each(FORBIDDEN_IPV6)('forbids IPv6 %s as %s', (ip, range, reason) => {
    const verdict = isForbiddenAddress(ip);

    expect(verdict).toMatchObject({ forbidden: true, range });
    expect(verdict.reason).toMatch(reason);
  });

  it.each(ALLOWED)('allows the public address %s', (ip) => {
    expect(isForbiddenAddress(ip)).toEqual({ forbidden: false });
  });

  it.each([
    ['a name', 'example.com'],
    ['an empty string', ''],
    ['a bracketed IPv6 address', '[::1]'],
    ['an octal IPv4 spelling', '0177.0.0.1'],
    ['a decimal IPv4 spelling', '2130706433'],
    ['an address with a zone', 'fe80::1%eth0'],
    ['a public address with a zone', '2606:4700::1%1'],
  ])('forbids %s, which is not a plain IP address', (_name, input) => {
    expect(isForbiddenAddress(input)).toMatchObject({ forbidden: true, range: 'special' });
  });

  it('names the range, never the address, in its reason', () => {
    const verdict = isForbiddenAddress('::ffff:10.1.2.3');

    expect(verdict.reason).not.toContain('10.1.2.3');
  });
});
