/**
 * Addresses and Message-IDs as reports carry them. Addresses are returned as written
 * (trimmed, without angle brackets); comparing them is the caller's business.
 */

// One pass, no nested quantifiers: report text comes from anyone who can send us mail.
const ANGLE_ADDR = /<([^<>\s]*)>/g;
const BARE_ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;
const MESSAGE_ID = /<([^<>\s]+)>/g;
const TYPED_VALUE = /^\s*([A-Za-z0-9][\w.+-]*)\s*;([\s\S]*)$/;
const UNITEXT_ESCAPE = /\\x\{([0-9A-Fa-f]{1,6})\}/g;

export interface TypedValue {
  /** The type before the `;` in lower case (`rfc822`, `dns`, `smtp`), if there was one. */
  type?: string;
  value: string;
}

/**
 * Splits `type; value` fields of RFC 3464 section 2.1 (address-type, mta-name-type,
 * diagnostic-type). Type names are case-insensitive: `RFC822;` is `rfc822`.
 */
export function splitTypedValue(field: string): TypedValue {
  const match = TYPED_VALUE.exec(field);
  if (!match?.[1]) return { value: field.trim() };
  return { type: match[1].toLowerCase(), value: (match[2] ?? '').trim() };
}

/**
 * The address in a Final-Recipient, Original-Recipient or Original-Rcpt-To field.
 * `rfc822` is the common type; `utf-8` (RFC 6533 section 3) writes non-ASCII characters
 * as `\x{HEX}`. A missing type is tolerated when the value is an address; other types
 * (`x400`, `unknown`) give no address.
 */
export function reportedAddress(field: string | undefined): string | undefined {
  if (field === undefined) return undefined;

  const { type, value } = splitTypedValue(field);
  const bare = value.replace(/^<|>$/g, '').trim();
  if (type === 'utf-8') return looksLikeAddress(bare) ? decodeUnitext(bare) : undefined;
  if (type !== undefined && type !== 'rfc822') return undefined;
  return looksLikeAddress(bare) ? bare : undefined;
}

/** Addresses in an address-list header such as To or X-Failed-Recipients. */
export function extractAddresses(value: string | undefined): string[] {
  if (!value) return [];

  const angled = [...value.matchAll(ANGLE_ADDR)]
    .map((match) => match[1] ?? '')
    .filter(looksLikeAddress);
  if (angled.length > 0) return angled;
  return withoutComments(value)
    .split(/[\s,;]+/)
    .filter((token) => BARE_ADDRESS.test(token));
}

/** Message-IDs (`<id-left@id-right>`, brackets kept) in Message-ID, In-Reply-To, References. */
export function extractMessageIds(value: string | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(MESSAGE_ID)].map((match) => match[0]);
}

/** Keeps the first of values that are equal ignoring case. */
export function uniqueIgnoringCase(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = value.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function looksLikeAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  return at > 0 && at < value.length - 1 && !/[\s<>]/.test(value);
}

function withoutComments(value: string): string {
  let text = value;
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/\([^()]*\)/g, ' ');
  }
  return text;
}

function decodeUnitext(value: string): string {
  return value.replace(UNITEXT_ESCAPE, (escape, hex: string) => {
    const code = parseInt(hex, 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : escape;
  });
}
