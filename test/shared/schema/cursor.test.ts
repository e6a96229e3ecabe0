import { describe, expect, it } from 'vitest';

import { ApiError } from '../../../shared/errors/api-error.js';
import { decodeCursor, encodeCursor, type KeyAt } from '../../../shared/schema/cursor.js';

const keyAt: KeyAt = (id) => (/^em_[0-9a-z]{26}$/.test(id)
  ? { pk: `A#acct_default#E#${id}`, sk: 'E', gsi1pk: 'A#acct_default#E', gsi1sk: id }
  : undefined);
const ID = 'em_01jq3v6c8e2b7x4n5p6q7r8s9t';
const listed = keyAt(ID)!;
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function refusal(cursor: string, path?: string): ApiError | undefined {
  try {
    decodeCursor(cursor, keyAt, path);
  } catch (error) {
    return error as ApiError;
  }
  return undefined;
}

describe('decodeCursor', () => {
  it('gives back the key of a cursor this list made', () => {
    const cursor = encodeCursor(listed)!;

    const key = decodeCursor(cursor, keyAt);

    expect(key).toEqual(listed);
  });

  it.each([
    ['not base64 JSON', '!!!'],
    ['a JSON array', encode([listed])],
    ['an empty key (issue: 500 on a hand-made cursor)',
      encode({ pk: '', sk: '', gsi1pk: 'A#acct_default#E', gsi1sk: 'em_zzzz' })],
    ['a position no email can have', encode({ ...listed, gsi1sk: 'em_zzzz' })],
    ['a table key not matching the position', encode({ ...listed, pk: 'A#acct_default#E#x' })],
    ['another account', encode({
      pk: `A#other#E#${ID}`, sk: 'E', gsi1pk: 'A#other#E', gsi1sk: ID,
    })],
    ['another list', encode({
      pk: `A#acct_default#W#${ID}`, sk: 'W', gsi1pk: 'A#acct_default#W', gsi1sk: ID,
    })],
    ['an extra attribute', encode({ ...listed, extra: 'x' })],
    ['a missing attribute', encode({ pk: listed.pk, gsi1pk: listed.gsi1pk, gsi1sk: ID })],
    ['a number where a string belongs', encode({ ...listed, sk: 1 })],
    ['an inherited name', encode({ ...listed, sk: undefined, toString: 'E' })],
  ])('refuses %s with 400 invalid_cursor', (_, cursor) => {
    const error = refusal(cursor);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'invalid_cursor', status: 400 });
    expect(error?.details?.[0]?.path).toBe('cursor');
  });

  it('refuses a position DynamoDB could not take back as the same key', () => {
    const long = refusal(encode({ ...listed, gsi1sk: 'x'.repeat(1025) }), 'after');
    const lone = refusal(encode({ ...listed, gsi1sk: '\ud800' }));

    expect(long?.details?.[0]?.path).toBe('after');
    expect(lone?.code).toBe('invalid_cursor');
  });
});
