import { ConfigError } from './config-error.js';
import { parseRelays, type RelayConfig } from './relay-config.js';

/**
 * Everything the functions read from the environment, read once at start-up. The same
 * names work in Lambda and in local mode; local mode only adds the emulator endpoints.
 */
export interface Config {
  mode: 'aws' | 'local';
  apiKey: string;
  inboundKey?: string;
  relays: RelayConfig[];
  port: number;
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
  devMailboxDir?: string;
}

export const DEFAULT_ACCOUNT_ID = 'acct_default';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = env.MAILROOM_MODE === 'local' ? 'local' : 'aws';

  return {
    mode,
    apiKey: required(env, 'MAILROOM_API_KEY', /^[\x21-\x7e]{16,256}$/,
      'must be 16 to 256 printable characters without spaces'),
    ...optional(env, 'MAILROOM_INBOUND_KEY', 'inboundKey'),
    relays: parseRelays(env),
    port: integer(env, 'PORT', 3000, 1, 65_535),
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
