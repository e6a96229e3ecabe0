/**
 * Which IP addresses a webhook may be delivered to. Anything that is not a globally
 * reachable unicast address is forbidden: loopback, private and shared ranges, link-local
 * (where cloud metadata services live), documentation, benchmarking, multicast and
 * reserved space. IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are
 * judged by the address they carry. Ranges follow the IANA special-purpose registries
 * (RFC 6890 and its updates).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of forbidden range an address is in. Only `loopback` and `private` may be
 * allowed, and only for local development; the others are never a webhook receiver.
 */
export type AddressRange = 'loopback' | 'private' | 'link-local' | 'metadata' | 'special';

export interface AddressVerdict {
  forbidden: boolean;
  /** Names the range, such as `loopback address (127.0.0.0/8)`; never the address itself. */
  reason?: string;
  range?: AddressRange;
}

interface Rule {
  cidr: string;
  label: string;
  range: AddressRange;
  list: BlockList;
  family: 'ipv4' | 'ipv6';
}

/** First match wins, so narrower ranges come before the ranges that contain them. */
const IPV4_RULES = rules('ipv4', [
  ['169.254.169.254/32', 'cloud metadata address', 'metadata'],
  ['100.100.100.200/32', 'cloud metadata address', 'metadata'],
  ['0.0.0.0/8', '"this network" address', 'special'],
  ['10.0.0.0/8', 'private network address', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT) address', 'private'],
  ['127.0.0.0/8', 'loopback address', 'loopback'],
  ['169.254.0.0/16', 'link-local address', 'link-local'],
  ['172.16.0.0/12', 'private network address', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignment', 'special'],
  ['192.0.2.0/24', 'documentation address', 'special'],
  ['192.88.99.0/24', '6to4 relay anycast address', 'special'],
  ['192.168.0.0/16', 'private network address', 'private'],
  ['198.18.0.0/15', 'benchmarking address', 'special'],
  ['198.51.100.0/24', 'documentation address', 'special'],
  ['203.0.113.0/24', 'documentation address', 'special'],
  ['224.0.0.0/4', 'multicast address', 'special'],
  ['255.255.255.255/32', 'broadcast address', 'special'],
  ['240.0.0.0/4', 'reserved address', 'special'],
]);

const IPV6_RULES = rules('ipv6', [
  ['::/128', 'unspecified address', 'special'],
  ['::1/128', 'loopback address', 'loopback'],
  ['::/96', 'IPv4-compatible IPv6 address (deprecated)', 'special'],
  ['64:ff9b:1::/48', 'local-use NAT64 address', 'special'],
  ['100::/64', 'discard-only address', 'special'],
  ['2001::/23', 'IETF protocol assignment (includes Teredo)', 'special'],
  ['2001:db8::/32', 'documentation address', 'special'],
  ['3fff::/20', 'documentation address', 'special'],
  ['fd00:ec2::254/128', 'cloud metadata address', 'metadata'],
  ['fc00::/7', 'unique local address', 'private'],
  ['fe80::/10', 'link-local address', 'link-local'],
  ['fec0::/10', 'site-local address (deprecated)', 'special'],
  ['ff00::/8', 'multicast address', 'special'],
]);

/** Every globally reachable IPv6 unicast address lies in 2000::/3 (RFC 4291). */
const GLOBAL_UNICAST = rules('ipv6', [['2000::/3', 'global unicast', 'special']])[0] as Rule;

/** IPv6 ranges whose last or middle bits carry an IPv4 address that decides the verdict. */
const IPV4_MAPPED = 'an IPv4-mapped IPv6 address';
const NAT64 = 'a NAT64 address (64:ff9b::/96)';
const SIX_TO_FOUR = 'a 6to4 address (2002::/16)';

export function isForbiddenAddress(ip: string): AddressVerdict {
  if (isIPv4(ip)) return judge(ip, IPV4_RULES);
  if (!isIPv6(ip) || ip.includes('%')) {
    return { forbidden: true, reason: 'not a plain IP address', range: 'special' };
  }

  const groups = ipv6Groups(ip);
  const embedded = embeddedIpv4(groups);
  if (embedded) {
    const inner = judge(embedded.ipv4, IPV4_RULES);
    if (!inner.forbidden) return inner;
    // A mapped address reaches the IPv4 host itself; the tunnelled forms reach it through
    // a translator, which is never a legitimate path to a local service.
    const range = embedded.label === IPV4_MAPPED ? inner.range : 'special';
    return { forbidden: true, reason: `${inner.reason}, embedded in ${embedded.label}`, range };
  }

  const verdict = judge(ip, IPV6_RULES);
  if (verdict.forbidden || GLOBAL_UNICAST.list.check(ip, 'ipv6')) return verdict;
  return { forbidden: true, reason: 'reserved IPv6 address (outside 2000::/3)', range: 'special' };
}

function judge(ip: string, list: Rule[]): AddressVerdict {
  const rule = list.find((candidate) => candidate.list.check(ip, candidate.family));
  if (!rule) return { forbidden: false };
  return { forbidden: true, reason: `${rule.label} (${rule.cidr})`, range: rule.range };
}

function embeddedIpv4(groups: number[]): { ipv4: string; label: string } | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [
    number, number, number, number, number, number, number, number,
  ];
  const leadingZeros = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;

  if (leadingZeros && g5 === 0xffff) return { ipv4: dotted(g6, g7), label: IPV4_MAPPED };
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return { ipv4: dotted(g6, g7), label: NAT64 };
  }
  if (g0 === 0x2002) return { ipv4: dotted(g1, g2), label: SIX_TO_FOUR };
  return undefined;
}

function dotted(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address (checked by `isIPv6` beforehand). */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    const high = ((a << 8) | b).toString(16);
    const low = ((c << 8) | d).toString(16);
    text = `${text.slice(0, lastColon + 1)}${high}:${low}`;
  }

  const [head = '', rest] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  if (rest === undefined) return front;

  const back = parse(rest);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function rules(
  family: 'ipv4' | 'ipv6',
  table: [cidr: string, label: string, range: AddressRange][],
): Rule[] {
  return table.map(([cidr, label, range]) => {
    const [network = '', prefix = ''] = cidr.split('/');
    const list = new BlockList();
    list.addSubnet(network, Number(prefix), family);
    return { cidr, label, range, list, family };
  });
}
