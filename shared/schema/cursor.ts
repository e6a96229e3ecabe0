import { ApiError } from '../errors/api-error.js';

/**
 * Every list pages the same way: `limit` and an opaque `cursor`; the response carries
 * `nextCursor`, null on the last page. The cursor is the table position encoded as
 * base64url; decoding checks that it belongs to the caller's listing and has nothing else.
 */
export function encodeCursor(key: Record<string, string> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}

export function decodeCursor(
  cursor: string,
  allowed: { keys: string[]; prefix: string },
): Record<string, string> {
  const invalid = () => new ApiError('invalid_cursor', 'The cursor is not valid for this list.', [
    { path: 'cursor', message: 'use the nextCursor value from a previous page unchanged' },
  ]);

  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid();

  const entries = Object.entries(key);
  const valid = entries.length === allowed.keys.length
    && entries.every(([name, value]) => allowed.keys.includes(name)
      && typeof value === 'string' && value.length <= 512)
    && entries.every(([, value]) => !String(value).startsWith('A#')
      || String(value).startsWith(allowed.prefix));
  if (!valid) throw invalid();

  return key as Record<string, string>;
}
