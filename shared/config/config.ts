import { LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { ConfigError } from './config-error.js';
import { parseRelays, type RelayConfig } from './relay-config.js';

/**
 * Everything the functions read from the environment, read once at start-up. The same
 * names work in Lambda and in local mode; local mode only adds the emulator endpoints.
 */
export interface Config {
  mode: 'aws' | 'local';
  logLevel: LogLevel;
  apiKey: string;
  inboundKey?: string;
  relays: RelayConfig[];
  port: number;
  /** Local mode: bounce intake by SMTP on this loopback port; 0 turns it off. */
  inboundSmtpPort: number;
  dataDir: string;
  tableName: string;
  queueUrl: string;
  webhookQueueUrl?: string;
  dynamoDbEndpoint?: string;
  sqsEndpoint?: string;
  region: string;
  /** Domain of the Message-IDs we assign; the sender's domain when unset. */
  messageIdDomain?: string;
  bounceDomain?: string;
  accountId: string;
  retentionDays: number;
  maxAgeSeconds: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  idempotencyHours: number;
  /** How long to wait for the relay's reply to the final dot; never more than RFC 5321's 10 min. */
  finalDotTimeoutSeconds: number;
  /** How far the event feed stays behind the present; below 30 s only for tests. */
  feedSettleSeconds: number;
  /** Webhooks may go to http:// and private addresses: local development and tests only. */
  allowPrivateWebhooks: boolean;
  /** Seconds between a failed webhook attempt and the next one; its length caps the retries. */
  webhookRetrySchedule: number[];
  /** An endpoint whose deliveries have all failed for this long is disabled. */
  webhookDisableAfterHours: number;
  devMailboxDir?: string;
}

/** 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over a little more than a day. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
export const DEFAULT_WEBHOOK_DISABLE_AFTER_HOURS = 5 * 24;

export const DEFAULT_ACCOUNT_ID = 'acct_default';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = env.MAILROOM_MODE === 'local' ? 'local' : 'aws';

  return {
    mode,
    logLevel: logLevel(env),
    apiKey: required(env, 'MAILROOM_API_KEY', /^[\x21-\x7e]{16,256}$/,
      'must be 16 to 256 printable characters without spaces'),
    ...(env.MAILROOM_INBOUND_KEY
      ? {
        inboundKey: required(env, 'MAILROOM_INBOUND_KEY', /^[\x21-\x7e]{16,256}$/,
          'must be 16 to 256 printable characters without spaces'),
      }
      : {}),
    relays: parseRelays(env),
    port: integer(env, 'PORT', 3000, 1, 65_535),
    inboundSmtpPort: integer(env, 'MAILROOM_INBOUND_SMTP_PORT', 2526, 0, 65_535),
    dataDir: env.MAILROOM_DATA_DIR || '.data',
    tableName: env.MAILROOM_TABLE || 'mailroom',
    queueUrl: required(env, 'MAILROOM_QUEUE_URL', /^https?:\/\/\S+$/, 'must be a queue URL'),
    ...optional(env, 'MAILROOM_WEBHOOK_QUEUE_URL', 'webhookQueueUrl'),
    ...optional(env, 'MAILROOM_DYNAMODB_ENDPOINT', 'dynamoDbEndpoint'),
    ...optional(env, 'MAILROOM_SQS_ENDPOINT', 'sqsEndpoint'),
    region: env.AWS_REGION || 'us-east-1',
    ...domain(env, 'MAILROOM_MESSAGE_ID_DOMAIN', 'messageIdDomain'),
    ...domain(env, 'MAILROOM_BOUNCE_DOMAIN', 'bounceDomain'),
    accountId: DEFAULT_ACCOUNT_ID,
    retentionDays: integer(env, 'MAILROOM_RETENTION_DAYS', 30, 1, 3650),
    maxAgeSeconds: integer(env, 'MAILROOM_MAX_AGE_HOURS', 24, 1, 24 * 14) * 3600,
    retryBaseSeconds: integer(env, 'MAILROOM_RETRY_BASE_SECONDS', 60, 1, 3600),
    retryMaxSeconds: integer(env, 'MAILROOM_RETRY_MAX_SECONDS', 3600, 1, 86_400),
    idempotencyHours: integer(env, 'MAILROOM_IDEMPOTENCY_HOURS', 24, 1, 24 * 7),
    finalDotTimeoutSeconds: integer(env, 'MAILROOM_FINAL_DOT_TIMEOUT_SECONDS', 600, 1, 600),
    feedSettleSeconds: integer(env, 'MAILROOM_FEED_SETTLE_SECONDS', 30, 1, 3600),
    allowPrivateWebhooks: flag(env, 'MAILROOM_ALLOW_PRIVATE_WEBHOOKS'),
    webhookRetrySchedule: secondsList(env, 'MAILROOM_WEBHOOK_RETRY_SCHEDULE',
      DEFAULT_WEBHOOK_RETRY_SCHEDULE),
    webhookDisableAfterHours: hours(env, 'MAILROOM_WEBHOOK_DISABLE_AFTER_HOURS',
      DEFAULT_WEBHOOK_DISABLE_AFTER_HOURS),
    ...optional(env, 'MAILROOM_DEV_MAILBOX_DIR', 'devMailboxDir'),
  };
}

/** Worker-side check: a worker without a relay cannot do anything useful. */
export function requireRelays(config: Config): RelayConfig[] {
  if (config.relays.length === 0) {
    throw new ConfigError('SMTP_URL', 'is required (or SMTP_RELAYS for several relays)');
  }
  return config.relays;
}

function required(env: NodeJS.ProcessEnv, name: string, pattern: RegExp, rule: string) {
  const value = env[name];
  if (!value) throw new ConfigError(name, 'is required');
  if (!pattern.test(value)) throw new ConfigError(name, rule);
  return value;
}

function optional<K extends keyof Config>(env: NodeJS.ProcessEnv, name: string, key: K) {
  const value = env[name];
  return value ? { [key]: value } : {};
}

function domain<K extends keyof Config>(env: NodeJS.ProcessEnv, name: string, key: K) {
  const value = env[name];
  if (!value) return {};
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$/i.test(value)) {
    throw new ConfigError(name, 'must be a domain name such as mail.example.com');
  }
  return { [key]: value.toLowerCase() };
}

/** The logger reads the variable itself (it starts before the configuration); checked here. */
function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const value = env.MAILROOM_LOG_LEVEL;
  if (value === undefined || value === '') return 'info';
  if (LOG_LEVELS.includes(value as LogLevel)) return value as LogLevel;
  throw new ConfigError('MAILROOM_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(name, 'must be true or false');
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

const MAX_RETRY_ENTRIES = 20;
const MAX_RETRY_SECONDS = 86_400;
const MAX_DISABLE_HOURS = 24 * 30;

/** Whole seconds separated by commas or spaces, e.g. `5,300,1800`. */
function secondsList(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const value = env[name];
  if (value === undefined || value.trim() === '') return [...fallback];

  const entries = value.trim().split(/[\s,]+/);
  const valid = entries.length <= MAX_RETRY_ENTRIES && entries.every((entry) =>
    /^\d+$/.test(entry) && Number(entry) >= 1 && Number(entry) <= MAX_RETRY_SECONDS);
  if (!valid) {
    throw new ConfigError(name, `must list 1 to ${MAX_RETRY_ENTRIES} whole numbers of seconds `
      + `from 1 to ${MAX_RETRY_SECONDS}, separated by commas`);
  }
  return entries.map(Number);
}

/** Hours, fractions allowed so that tests can use seconds (`0.001` is 3.6 s). */
function hours(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0 || Number(value) > MAX_DISABLE_HOURS) {
    throw new ConfigError(name,
      `must be a number of hours above 0 and at most ${MAX_DISABLE_HOURS}`);
  }
  return Number(value);
}
