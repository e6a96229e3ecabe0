/**
 * Whether a URL may receive webhooks. Production settings accept only https URLs whose
 * host is a public DNS name (or a public IP literal) that resolves to public addresses and
 * nothing else, on a port that belongs to HTTP. `allowPrivate` is for local development:
 * it also accepts http and loopback or private-network receivers, but never link-local,
 * cloud metadata or other special addresses.
 *
 * The URL is parsed by the WHATWG URL parser, the one browsers use, so every IPv4 spelling
 * it understands (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) reaches this check
 * as dotted decimal, and IPv6 literals in their canonical form.
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';

import { isForbiddenAddress } from './address-policy.js';

/** Resolves a host name to every address it has, IPv4 and IPv6. */
export type HostResolver = (host: string) => Promise<string[]>;

export interface WebhookUrlOptions {
  /** Local development only: accept http and loopback or private-network receivers. */
  allowPrivate: boolean;
  resolve: HostResolver;
}

export type WebhookUrlCheck =
  | { ok: true; url: URL; addresses: string[] }
  | { ok: false; reason: string };

export const MAX_WEBHOOK_URL_LENGTH = 2048;
const MAX_HOST_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9_-]+$/;

/**
 * Ports that belong to protocols other than HTTP, as listed by the Fetch standard
 * ("bad port"): a request there could be read as commands by a mail, IRC or other server.
 * Port 0 cannot be connected to at all.
 */
const BAD_PORTS = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101,
  102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389,
  427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
  989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665,
  6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** Names of cloud metadata services, refused even in local development. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/**
 * Top-level names that public DNS never answers: special-use names (RFC 6761, 6762, 7686,
 * 8375), `.internal` (reserved for private use by ICANN in 2024) and names that private
 * networks commonly use. Refusing them by name gives a clearer reason than the address would.
 */
const PRIVATE_TOP_LEVEL = new Set([
  'localhost', 'local', 'localdomain', 'internal', 'lan', 'home', 'corp', 'arpa', 'test',
  'invalid', 'example', 'onion',
]);

/** Checks a webhook URL; on success gives the parsed URL and the addresses it resolved to. */
export async function checkWebhookUrl(
  raw: string,
  options: WebhookUrlOptions,
): Promise<WebhookUrlCheck> {
  const parsed = parseWebhookUrl(raw, options.allowPrivate);
  if (!parsed.ok) return parsed;
  const { url } = parsed;

  const literal = literalAddress(url.hostname);
  if (literal !== undefined) {
    const refusal = refuseAddress(literal, options.allowPrivate);
    if (refusal) return { ok: false, reason: `address ${literal} is not allowed: ${refusal}` };
    return { ok: true, url, addresses: [literal] };
  }

  const nameProblem = checkHostName(url.hostname, options.allowPrivate);
  if (nameProblem) return { ok: false, reason: nameProblem };

  let addresses: string[];
  try {
    addresses = [...new Set(await options.resolve(url.hostname))];
  } catch {
    return { ok: false, reason: `host ${url.hostname} could not be resolved` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${url.hostname} has no address` };

  // One forbidden address is enough: the connection might be made to any of them.
  for (const address of addresses) {
    const refusal = refuseAddress(address, options.allowPrivate);
    if (refusal) {
      return { ok: false, reason: `host ${url.hostname} resolves to a forbidden ${refusal}` };
    }
  }
  return { ok: true, url, addresses };
}

/** Resolves with the system resolver (getaddrinfo), as the production resolver. */
export async function lookupHost(host: string): Promise<string[]> {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
}

function parseWebhookUrl(
  raw: string,
  allowPrivate: boolean,
): { ok: true; url: URL } | { ok: false; reason: string } {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, reason: `webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'webhook URL is not a valid absolute URL' };
  }

  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'http' && !allowPrivate) {
    return { ok: false, reason: 'webhook URL must use https; http is for local development only' };
  }
  if (scheme !== 'https' && scheme !== 'http') {
    return { ok: false, reason: `webhook URL must use https, not ${scheme}` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'webhook URL must not contain a user name or password' };
  }
  if (url.port !== '' && BAD_PORTS.has(Number(url.port))) {
    return { ok: false, reason: `webhook URL port ${url.port} is reserved for another protocol` };
  }
  return { ok: true, url };
}

/** The address of an IP-literal host (`[::1]` gives `::1`), or undefined for a name. */
function literalAddress(hostname: string): string | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  return isIPv4(hostname) ? hostname : undefined;
}

function refuseAddress(address: string, allowPrivate: boolean): string | undefined {
  const verdict = isForbiddenAddress(address);
  if (!verdict.forbidden) return undefined;

  const local = verdict.range === 'loopback' || verdict.range === 'private';
  return allowPrivate && local ? undefined : verdict.reason;
}

function checkHostName(hostname: string, allowPrivate: boolean): string | undefined {
  // One trailing dot marks a fully qualified name; `localhost.` is still localhost.
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  const labels = name.split('.');

  if (name.length > MAX_HOST_NAME_LENGTH) {
    return `host name is longer than ${MAX_HOST_NAME_LENGTH} characters`;
  }
  if (labels.some((label) => label.length === 0 || label.length > MAX_LABEL_LENGTH)) {
    return `host name ${hostname} has an empty label or one longer than ${MAX_LABEL_LENGTH}`;
  }
  if (!labels.every((label) => LABEL.test(label))) {
    return `host name ${hostname} may contain only letters, digits, hyphens and underscores`;
  }
  if (METADATA_NAMES.has(name)) return `host name ${hostname} is a cloud metadata service`;
  if (allowPrivate) return undefined;

  const topLevel = labels[labels.length - 1] ?? '';
  if (topLevel === 'localhost') return `host name ${hostname} is the local machine`;
  if (labels.length === 1) return `host name ${hostname} is not a fully qualified public name`;
  if (PRIVATE_TOP_LEVEL.has(topLevel)) {
    return `host name ${hostname} is under .${topLevel}, which public DNS does not serve`;
  }
  return undefined;
}
