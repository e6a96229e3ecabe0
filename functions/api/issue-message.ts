import type { z } from 'zod';

/**
 * Messages for zod's generic issues, in the words the API uses in error details. A schema's
 * own message (a pattern's, a refinement's) still wins; this fills in the rest, where zod's
 * defaults ("Invalid input: expected string, received undefined") describe zod, not the
 * field. Returning undefined keeps zod's message for an issue not covered here.
 */
export const issueMessage: z.core.$ZodErrorMap = (issue) => {
  const missing = issue.input === undefined
    && (issue.code === 'invalid_type' || issue.code === 'invalid_union');
  if (missing) return 'required';

  switch (issue.code) {
    case 'invalid_type':
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return sizeMessage('at least', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return sizeMessage('at most', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return FORMAT_MESSAGES[issue.format] ?? `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'is not one of the accepted forms';
    default:
      return undefined;
  }
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
  null: 'null',
};

const FORMAT_MESSAGES: Record<string, string> = {
  datetime: 'must be a date and time with a time zone, such as 2026-01-31T09:30:00Z',
  regex: 'is not in the expected format',
};

function sizeMessage(
  bound: 'at least' | 'at most',
  origin: string,
  limit: number | bigint,
  inclusive = true,
): string {
  if (origin === 'string') {
    return bound === 'at least' && limit === 1
      ? 'must not be empty'
      : `must be ${bound} ${limit} characters long`;
  }
  if (origin === 'array' || origin === 'set') {
    return bound === 'at least' && limit === 1
      ? 'must not be empty'
      : `must have ${bound} ${limit} items`;
  }
  if (!inclusive) return `must be ${bound === 'at least' ? 'more' : 'less'} than ${limit}`;
  return `must be ${bound} ${limit}`;
}
