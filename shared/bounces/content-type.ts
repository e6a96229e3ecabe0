/**
 * Content-Type values (RFC 2045 section 5.1): `type/subtype` and parameters, with quoted
 * strings, comments and RFC 2231 continuations (`boundary*0=`, `name*=utf-8''...`).
 * A missing or invalid value becomes the default type: RFC 2045 section 5.2 recommends
 * text/plain for both, and RFC 2046 section 5.1.5 makes message/rfc822 the default inside
 * multipart/digest.
 */
import { decodeCharset } from './decode-charset.js';

export interface ContentType {
  /** `type/subtype` in lower case. */
  mediaType: string;
  /** Parameters by lower-case name; values keep their case. */
  params: ReadonlyMap<string, string>;
}

const TOKEN = "[!#$%&'*+\\-.^_`{|}~0-9A-Za-z]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})\\s*/\\s*(${TOKEN})$`);
const CONTINUED_NAME = /^(.+?)\*(\d{1,3})(\*?)$/;

export function parseContentType(
  value: string | undefined,
  defaultType = 'text/plain',
): ContentType {
  const [head = '', ...rest] = splitOutsideQuotes(stripComments(value ?? ''));
  const media = MEDIA_TYPE.exec(head.trim());

  if (!media) return { mediaType: defaultType, params: new Map() };
  return {
    mediaType: `${media[1]}/${media[2]}`.toLowerCase(),
    params: joinContinuations(rest.map(splitParameter).filter((p) => p !== undefined)),
  };
}

function splitParameter(text: string): [string, string] | undefined {
  const equals = text.indexOf('=');
  if (equals <= 0) return undefined;

  const name = text.slice(0, equals).trim().toLowerCase();
  const value = text.slice(equals + 1).trim();
  return [name, value.startsWith('"') ? unquote(value) : value];
}

/** RFC 2231 sections 3-4: `name*0`, `name*1`... joined in order; `*` marks %-encoding. */
function joinContinuations(entries: [string, string][]): Map<string, string> {
  const params = new Map<string, string>();
  const pieces = new Map<string, { index: number; value: string }[]>();

  for (const [name, value] of entries) {
    const continued = CONTINUED_NAME.exec(name);
    if (continued?.[1]) {
      const list = pieces.get(continued[1]) ?? [];
      const piece = continued[3] ? percentDecode(value, list.length === 0) : value;
      list.push({ index: Number(continued[2]), value: piece });
      pieces.set(continued[1], list);
    } else if (name.endsWith('*')) {
      params.set(name.slice(0, -1), percentDecode(value, true));
    } else if (!params.has(name)) {
      params.set(name, value);
    }
  }

  for (const [name, list] of pieces) {
    if (params.has(name)) continue;
    list.sort((a, b) => a.index - b.index);
    params.set(name, list.map((piece) => piece.value).join(''));
  }
  return params;
}

/** `utf-8'en'%E2%82%AC` (charset and language only in the first piece). */
function percentDecode(value: string, first: boolean): string {
  const parts = first ? value.split("'") : [];
  const encoded = parts.length === 3 ? (parts[2] ?? '') : value;
  const charset = parts.length === 3 ? parts[0] : undefined;
  const bytes = Buffer.from(
    encoded.replace(/%([0-9A-Fa-f]{2})/g, (_all, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    ),
    'latin1',
  );

  return decodeCharset(bytes, charset);
}

function splitOutsideQuotes(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;

  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && quoted) i++;
    else if (char === '"') quoted = !quoted;
    else if (char === ';' && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }

  parts.push(text.slice(start));
  return parts;
}

/** Removes `(comments)` outside quoted strings; comments nest (RFC 5322 section 3.2.2). */
function stripComments(text: string): string {
  let output = '';
  let depth = 0;
  let quoted = false;

  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (char === '\\' && (quoted || depth > 0)) {
      if (depth === 0) output += char + (text[i + 1] ?? '');
      i++;
    } else if (depth === 0 && char === '"') {
      quoted = !quoted;
      output += char;
    } else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')' && depth > 0) depth--;
    else if (depth === 0) output += char;
  }
  return output;
}

function unquote(value: string): string {
  const end = value.indexOf('"', 1) === -1 ? value.length : value.lastIndexOf('"');
  return value.slice(1, end > 0 ? end : value.length).replace(/\\(.)/g, '$1');
}
