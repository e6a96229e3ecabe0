import { createHash } from 'node:crypto';

import { ApiError } from '../errors/api-error.js';
import { idempotencyPk } from '../store/keys.js';

/**
 * `Idempotency-Key` on a send: the first request with a key creates the email; a repeat
 * with the same body gets the first response again; a repeat with another body is refused.
 * The key's record is written in the same transaction as the email, so concurrent requests
 * with one key create exactly one email and every loser can answer with the winner's id.
 */
export const IDEMPOTENCY_KEY_SK = 'I';

export interface IdempotencyRecord {
  keyHash: string;
  requestHash: string;
  emailId: string;
  createdAt: string;
  expiresAt: number;
}

export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x20-\x7e]{1,256}$/.test(header)) {
    throw new ApiError('invalid_idempotency_key', 'The Idempotency-Key header is not valid.', [
      { path: 'Idempotency-Key', message: 'must be 1 to 256 printable ASCII characters' },
    ]);
  }
  return header;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A digest of the request's meaning: the same JSON with keys in any order hashes alike. */
export function hashRequest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function idempotencyItem(accountId: string, record: IdempotencyRecord) {
  return { pk: idempotencyPk(accountId, record.keyHash), sk: IDEMPOTENCY_KEY_SK, ...record };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
