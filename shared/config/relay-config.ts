import { readFileSync } from 'node:fs';

import type { RelayEndpoint } from '../smtp/smtp-session.js';
import { ConfigError } from './config-error.js';

/**
 * One upstream relay, as configured: where and how the SMTP client connects, plus how the
 * router uses it. Credentials stay here and never reach a log line.
 */
export interface RelayConfig extends RelayEndpoint {
  /** Lower sends first; equal priorities share the load. */
  priority: number;
  maxConnections: number;
  /** Messages per second across every worker; 0 means no limit. */
  maxPerSecond: number;
}

const DEFAULT_MAX_CONNECTIONS = 8;

/**
 * `SMTP_URL` names one relay; `SMTP_RELAYS` names several, separated by whitespace or
 * commas, in priority order. Per-relay settings travel as query parameters:
 * `priority`, `ca_file`, `max_connections`, `max_per_second`, `name`.
 */
const RELAY_PARAMETERS = new Set([
  'name', 'priority', 'max_connections', 'max_per_second', 'ca_file',
]);

export function parseRelays(env: NodeJS.ProcessEnv): RelayConfig[] {
  const list = env.SMTP_RELAYS?.trim();
  const single = env.SMTP_URL?.trim();
  if (list && single) {
    throw new ConfigError('SMTP_RELAYS', 'cannot be combined with SMTP_URL; use one of them');
  }

  const sharedCa = env.SMTP_CA_FILE ? readCaFile('SMTP_CA_FILE', env.SMTP_CA_FILE) : undefined;
  if (single) return [parseRelayUrl('SMTP_URL', single, 0, sharedCa)];
  if (!list) return [];

  const relays = list
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((url, index) => parseRelayUrl('SMTP_RELAYS', url, index, sharedCa));
  if (relays.length === 0) throw new ConfigError('SMTP_RELAYS', 'lists no relay URL');
  // Breakers and rate limits are kept per name: two relays with one name would share them.
  const names = relays.map((relay) => relay.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) {
    throw new ConfigError('SMTP_RELAYS', `names two relays ${JSON.stringify(repeated)}; `
      + 'give each its own name=');
  }
  return relays;
}

function parseRelayUrl(
  variable: string,
  raw: string,
  index: number,
  sharedCa: string | undefined,
): RelayConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, 'must be a URL like smtp://user:pass@host:587');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError(variable, 'must start with smtp:// (STARTTLS) or smtps:// (TLS)');
  }
  if (!url.hostname) throw new ConfigError(variable, 'names no host');
  if (url.port === '0') throw new ConfigError(variable, 'names port 0');
  for (const key of url.searchParams.keys()) {
    if (!RELAY_PARAMETERS.has(key)) {
      throw new ConfigError(variable, `has an unknown setting ${JSON.stringify(key)}; `
        + `known: ${[...RELAY_PARAMETERS].join(', ')}`);
    }
  }
  if (url.searchParams.get('name') === '') throw new ConfigError(variable, 'has an empty name');

  const secure = url.protocol === 'smtps:';
  const params = url.searchParams;
  const caFile = params.get('ca_file');

  return {
    name: params.get('name') ?? `${url.hostname}:${url.port || (secure ? 465 : 587)}`,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (secure ? 465 : 587)),
    secure,
    ...(url.username ? { user: decoded(variable, 'user name', url.username) } : {}),
    ...(url.password ? { pass: decoded(variable, 'password', url.password) } : {}),
    ...(caFile ? { ca: readCaFile(variable, caFile) } : sharedCa ? { ca: sharedCa } : {}),
    priority: intParam(variable, params, 'priority', index, 0),
    maxConnections: intParam(variable, params, 'max_connections', DEFAULT_MAX_CONNECTIONS, 1),
    maxPerSecond: intParam(variable, params, 'max_per_second', 0, 0),
  };
}

function intParam(
  variable: string,
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
) {
  const value = params.get(name);
  if (value === null) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min) {
    throw new ConfigError(variable, `has ${name}=${value}; it must be a whole number `
      + `from ${min}`);
  }
  return Number(value);
}

/** The user name and password are percent-encoded in the URL; the error never shows them. */
function decoded(variable: string, what: string, encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ConfigError(variable, `has a ${what} with a broken percent-encoding `
      + '(write % as %25)');
  }
}

function readCaFile(variable: string, path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(variable, `names a CA file that cannot be read: ${path}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(variable, `names a file without a PEM certificate: ${path}`);
  }
  return pem;
}
