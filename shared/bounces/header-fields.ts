/**
 * Header fields (RFC 5322 section 2.2), read leniently: names compare case-insensitively,
 * folded lines are unfolded and a line that is neither a field nor a continuation is
 * skipped and reported instead of ending the parse. The bodies of message/delivery-status
 * (RFC 3464 section 2.1) and message/feedback-report (RFC 5965 section 3.1) use the same
 * syntax, so their field groups go through here too.
 */
import { decodeCharset } from './decode-charset.js';

export interface HeaderField {
  /** The field name in lower case. */
  name: string;
  /** The unfolded value, without leading and trailing white space. */
  value: string;
}

export interface ParsedFields {
  fields: HeaderField[];
  problems: string[];
}

/** A field name is printable US-ASCII except the colon (RFC 5322 section 3.6.8). */
export const FIELD_LINE = /^([!-9;-~]+)[ \t]*:(.*)$/s;
const CONTINUATION = /^[ \t]/;
const EIGHT_BIT = /[\x80-\xff]/;
/** Enough to see what went wrong without copying a whole broken message into a record. */
const MAX_REPORTED_LINES = 5;

/**
 * Reads field lines given as "binary" strings (one char per byte, line breaks removed).
 * Unfolding removes only the line break before the white space that starts a continuation
 * line (RFC 5322 section 2.2.3); the white space itself stays part of the value.
 */
export function parseHeaderFields(lines: readonly string[]): ParsedFields {
  const raw: { name: string; value: string }[] = [];
  const problems: string[] = [];
  let current: { name: string; value: string } | undefined;
  let skipped = 0;

  for (const line of lines) {
    if (CONTINUATION.test(line)) {
      if (current) current.value += line;
      else if (line.trim() !== '') problems.push('continuation line without a field');
      continue;
    }

    const match = FIELD_LINE.exec(line);
    if (!match?.[1]) {
      current = undefined;
      skipped++;
      if (skipped <= MAX_REPORTED_LINES) problems.push(`not a header field: "${preview(line)}"`);
      continue;
    }

    current = { name: match[1].toLowerCase(), value: match[2] ?? '' };
    raw.push(current);
  }

  if (skipped > MAX_REPORTED_LINES) {
    problems.push(`${skipped - MAX_REPORTED_LINES} more lines that are not header fields`);
  }
  const fields = raw.map(({ name, value }) => ({ name, value: decodeFieldBytes(value).trim() }));
  return { fields, problems };
}

/** The first value of the named field, if any. */
export function fieldValue(fields: readonly HeaderField[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return fields.find((field) => field.name === wanted)?.value;
}

/** Every value of the named field, in order. */
export function fieldValues(fields: readonly HeaderField[], name: string): string[] {
  const wanted = name.toLowerCase();
  return fields.filter((field) => field.name === wanted).map((field) => field.value);
}

/** Raw 8-bit header text is UTF-8 when it decodes as such (RFC 6532), else Latin-1. */
function decodeFieldBytes(value: string): string {
  if (!EIGHT_BIT.test(value)) return value;

  return decodeCharset(Buffer.from(value, 'latin1'), 'utf-8', { fallback: 'latin1' });
}

function preview(line: string): string {
  const printable = line.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}
