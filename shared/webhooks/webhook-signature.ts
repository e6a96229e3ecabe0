/**
 * Webhook signatures in the Standard Webhooks scheme (https://www.standardwebhooks.com/):
 * an HMAC-SHA256 over `${id}.${timestamp}.${body}`, keyed with the bytes of a `whsec_`
 * secret, sent as `v1,<base64>` in the `webhook-signature` header. During a secret
 * rotation the header carries one signature per secret, separated by spaces, and a
 * receiver accepts the request when any of them matches its secret.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** How far a timestamp may be from the receiver's clock, either way, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
/** The scheme asks for keys of 24 to 64 bytes. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Whole seconds; twelve digits reach the year 33658, thirteen would be milliseconds. */
const UNIX_SECONDS = /^\d{1,12}$/;
const SIGNATURE_VERSION = 'v1';
const HMAC_BYTES = 32;
/** More signatures than any rotation needs; the rest of a longer header is ignored. */
const MAX_SIGNATURES = 8;

export interface SignedContent {
  /** The message id, identical across retries so receivers can drop duplicates. */
  id: string;
  /** Unix time in seconds. */
  timestamp: number | string;
  /** The exact bytes sent as the request body. */
  body: string | Uint8Array;
}

export interface SignOptions extends SignedContent {
  /** One secret, or the old and new secret while a rotation is in progress. */
  secrets: string[];
}

export interface VerifyOptions extends SignedContent {
  /** The value of the `webhook-signature` header. */
  header: string;
  secret: string;
  toleranceSeconds?: number;
  now?: Date;
}

export class WebhookSecretError extends Error {
  override readonly name = 'WebhookSecretError';
}

/** A new secret: `whsec_` and the base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The `webhook-signature` header value: one `v1,<base64>` entry per secret. */
export function signPayload(options: SignOptions): string {
  if (options.secrets.length === 0) throw new WebhookSecretError('at least one secret is needed');
  if (!UNIX_SECONDS.test(String(options.timestamp))) {
    throw new RangeError('the webhook timestamp is unix time in whole seconds');
  }

  return options.secrets
    .map((secret) => `${SIGNATURE_VERSION},${hmac(secretKey(secret), options).toString('base64')}`)
    .join(' ');
}

/** The three headers of a signed webhook request. */
export function webhookHeaders(options: SignOptions): Record<string, string> {
  return {
    [WEBHOOK_ID_HEADER]: options.id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(options.timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: signPayload(options),
  };
}

/**
 * True when the header holds a `v1` signature of this content made with `secret` and the
 * timestamp is within the tolerance of `now`. Throws WebhookSecretError for a secret that
 * is not a webhook secret at all, since that is a configuration mistake, not a bad request.
 */
export function verifySignature(options: VerifyOptions): boolean {
  const key = secretKey(options.secret);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const timestamp = String(options.timestamp);
  if (!UNIX_SECONDS.test(timestamp)) return false;

  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) return false;

  const expected = hmac(key, options);
  const entries = options.header.split(' ').filter(Boolean).slice(0, MAX_SIGNATURES);
  return entries.some((entry) => {
    const [version, signature = ''] = entry.split(',', 2);
    if (version !== SIGNATURE_VERSION || !BASE64.test(signature)) return false;

    const given = Buffer.from(signature, 'base64');
    return given.length === HMAC_BYTES && timingSafeEqual(given, expected);
  });
}

function hmac(key: Buffer, content: SignedContent): Buffer {
  return createHmac('sha256', key)
    .update(`${content.id}.${content.timestamp}.`)
    .update(content.body)
    .digest();
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new WebhookSecretError(
      `a webhook secret is ${SECRET_PREFIX} and the base64 of ${MIN_SECRET_BYTES} to ` +
        `${MAX_SECRET_BYTES} bytes`,
    );
  }
  return key;
}
