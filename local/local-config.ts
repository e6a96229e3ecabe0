/**
 * The environment `npm start` reads, checked once before anything starts. A bad value stops
 * the start with a message that names the variable and what it accepts.
 */
import { accessSync, constants, statSync } from 'node:fs';

export interface LocalConfig {
  port: number;
  dataDir: string;
  /** Unset: a generated key kept in the data dir is used. */
  apiKey?: string;
  /** Neither set: the development relay runs and receives all mail. */
  smtpUrl?: string;
  /** Several relays; the children read and check the list itself. */
  smtpRelays?: string;
  smtpCaFile?: string;
}

export class LocalConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable} ${message}`);
    this.name = 'LocalConfigError';
  }
}

export const DEFAULT_API_PORT = 3000;
const API_KEY = /^[\x21-\x7e]{16,256}$/;

export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const config: LocalConfig = {
    port: readPort(env.PORT),
    dataDir: readDataDir(env.MAILROOM_DATA_DIR),
  };

  const apiKey = nonEmpty(env.MAILROOM_API_KEY);
  if (apiKey !== undefined) {
    if (!API_KEY.test(apiKey)) {
      const rule = 'must be 16 to 256 printable characters without spaces';
      throw new LocalConfigError('MAILROOM_API_KEY', rule);
    }
    config.apiKey = apiKey;
  }

  const smtpUrl = nonEmpty(env.SMTP_URL);
  if (smtpUrl !== undefined) config.smtpUrl = readSmtpUrl(smtpUrl);
  const smtpRelays = nonEmpty(env.SMTP_RELAYS);
  if (smtpRelays !== undefined) config.smtpRelays = smtpRelays;

  const caFile = nonEmpty(env.SMTP_CA_FILE);
  if (caFile !== undefined) {
    if (smtpUrl === undefined && smtpRelays === undefined) {
      const reason = 'is set but neither SMTP_URL nor SMTP_RELAYS is; '
        + 'the development relay brings its own CA';
      throw new LocalConfigError('SMTP_CA_FILE', reason);
    }
    config.smtpCaFile = readCaFile(caFile);
  }
  return config;
}

function readPort(value: string | undefined): number {
  const text = nonEmpty(value);
  if (text === undefined) return DEFAULT_API_PORT;

  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new LocalConfigError('PORT', `must be a port number from 1 to 65535, got "${value}"`);
  }
  return port;
}

function readDataDir(value: string | undefined): string {
  // Empty counts as unset, as for every other variable.
  if (value === undefined || value.trim() === '') return '.data';

  let stats;
  try {
    stats = statSync(value);
  } catch {
    return value;
  }
  if (!stats.isDirectory()) {
    throw new LocalConfigError('MAILROOM_DATA_DIR', `names ${value}, which is not a folder`);
  }
  return value;
}

function readSmtpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new LocalConfigError('SMTP_URL', 'must be a URL such as smtp://user:pass@host:587');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    const got = `${url.protocol}//`;
    throw new LocalConfigError('SMTP_URL', `must start with smtp:// or smtps://, got ${got}`);
  }
  if (url.hostname === '') throw new LocalConfigError('SMTP_URL', 'has no host name');
  return value;
}

function readCaFile(path: string): string {
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new LocalConfigError('SMTP_CA_FILE', `names a file that cannot be read: ${path}`);
  }
  return path;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
