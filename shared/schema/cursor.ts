import { ApiError } from '../errors/api-error.js';

/**
 * Every list pages the same way: `limit` and an opaque `cursor`; the response carries
 * `nextCursor`, null on the last page. The cursor is the table position encoded as
 * base64url. DynamoDB fails the whole query (a 500) on a start key that is not exactly one
 * the query could have returned, so decoding rebuilds the key the list would have for the
 * cursor's sort value and accepts the cursor only if it is that key, attribute for attribute.
 */
export function encodeCursor(key: Record<string, string> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}

/**
 * The key a list's item has at `position` (its index sort key), or undefined when no item
 * of this list (this account, these key conditions) can sit there.
 */
export type KeyAt = (position: string) => Record<string, string> | undefined;

/** DynamoDB's limit for a sort key value; partition keys allow more. */
const MAX_KEY_BYTES = 1024;

export function decodeCursor(
  cursor: string,
  keyAt: KeyAt,
  path = 'cursor',
): Record<string, string> {
  const invalid = () => new ApiError('invalid_cursor', 'The cursor is not valid for this list.', [
    { path, message: 'use the nextCursor value from a previous page of this list unchanged' },
  ]);

  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid();

  const given = key as Record<string, unknown>;
  const position = given.gsi1sk;
  if (typeof position !== 'string' || !isKeyValue(position)) throw invalid();
  const expected = keyAt(position);
  if (!expected || !sameKey(given, expected)) throw invalid();

  return expected;
}

function isKeyValue(value: string): boolean {
  // A lone surrogate would not survive the trip to DynamoDB as the same string.
  return value.length > 0 && Buffer.byteLength(value) <= MAX_KEY_BYTES && !/\p{Cs}/u.test(value);
}

function sameKey(given: Record<string, unknown>, expected: Record<string, string>): boolean {
  const names = Object.keys(given);
  return names.length === Object.keys(expected).length
    && names.every((name) => Object.hasOwn(expected, name) && given[name] === expected[name]);
}
