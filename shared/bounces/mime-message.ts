/**
 * A small MIME reader for reports: header fields, nested multiparts and transfer encodings
 * (RFC 2045, RFC 2046), LF or CRLF line breaks. It never throws on malformed input; what it
 * could not read ends up in `problems` and the rest is returned as well as it went.
 *
 * Bytes are handled as "binary" strings (one char per byte) so a boundary search never
 * breaks a multi-byte character; line breaks become LF, which no report body depends on.
 * Bodies of message/rfc822 parts stay bytes: parse them again to read the inner message.
 */
import { parseContentType } from './content-type.js';
import { decodeCharset } from './decode-charset.js';
import { decodeTransferEncoding } from './decode-transfer-encoding.js';
import {
  FIELD_LINE,
  fieldValue,
  fieldValues,
  parseHeaderFields,
  type HeaderField,
} from './header-fields.js';

export interface MimePart {
  headers: HeaderField[];
  /** Lower-case `type/subtype`, defaulted as RFC 2045 section 5.2 says. */
  mediaType: string;
  params: ReadonlyMap<string, string>;
  /** The body after transfer decoding; empty for a multipart with parts. */
  body: Buffer;
  /** The parts of a multipart, in order. */
  parts: MimePart[];
}

export interface MimeMessage {
  root: MimePart;
  problems: string[];
}

/** Reports nest two or three levels; anything deeper is read as an opaque body. */
const MAX_DEPTH = 8;
const MAX_PARTS = 500;
const MBOX_SEPARATOR = /^From /;

interface Context {
  problems: string[];
  partCount: number;
}

export function parseMimeMessage(raw: Buffer | string): MimeMessage {
  const binary = typeof raw === 'string' ? raw : raw.toString('latin1');
  const context: Context = { problems: [], partCount: 0 };
  const lines = binary.replace(/\r\n/g, '\n').split('\n');

  if (lines[0] !== undefined && MBOX_SEPARATOR.test(lines[0])) lines.shift();
  return { root: parseEntity(lines, 'text/plain', 0, context), problems: context.problems };
}

export function headerValue(part: MimePart, name: string): string | undefined {
  return fieldValue(part.headers, name);
}

export function headerValues(part: MimePart, name: string): string[] {
  return fieldValues(part.headers, name);
}

/** The body as text, in the charset its Content-Type names (UTF-8 when none). */
export function partText(part: MimePart): string {
  return decodeCharset(part.body, part.params.get('charset'));
}

/** The part and every part inside it, depth first, in document order. */
export function* walkParts(part: MimePart): Generator<MimePart> {
  yield part;
  for (const child of part.parts) yield* walkParts(child);
}

function parseEntity(
  lines: string[],
  defaultType: string,
  depth: number,
  context: Context,
): MimePart {
  context.partCount++;
  const { headerLines, bodyLines } = splitHeaderSection(lines);
  const parsed = parseHeaderFields(headerLines);
  context.problems.push(...parsed.problems);

  const headers = parsed.fields;
  const contentType = parseContentType(fieldValue(headers, 'content-type'), defaultType);
  const encoding = fieldValue(headers, 'content-transfer-encoding');
  const decoded = decodeTransferEncoding(Buffer.from(bodyLines.join('\n'), 'latin1'), encoding);
  if (decoded.problem) context.problems.push(decoded.problem);

  const part: MimePart = { ...contentType, headers, body: decoded.body, parts: [] };
  if (!part.mediaType.startsWith('multipart/')) return part;

  const boundary = contentType.params.get('boundary');
  if (!boundary) {
    context.problems.push(`${part.mediaType} without a boundary parameter`);
    return part;
  }
  if (depth >= MAX_DEPTH || context.partCount >= MAX_PARTS) {
    context.problems.push('multipart nesting too deep or too many parts; rest left unparsed');
    return part;
  }

  const childType = part.mediaType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  const bodies = splitMultipart(decoded.body.toString('latin1').split('\n'), boundary, context);
  const room = MAX_PARTS - context.partCount;
  if (bodies.length > room) {
    context.problems.push(`more than ${MAX_PARTS} parts; the rest left unparsed`);
    bodies.length = Math.max(room, 0);
  }
  part.parts = bodies.map((body) => parseEntity(body, childType, depth + 1, context));
  part.body = Buffer.alloc(0);
  return part;
}

/**
 * The header section ends at the first empty line (RFC 5322 section 2.1). An entity whose
 * first line is not a header field has no header section, such as a part that starts with
 * its text right after the boundary line; RFC 2046 section 5.1.1 then means default headers.
 */
function splitHeaderSection(lines: string[]): { headerLines: string[]; bodyLines: string[] } {
  const first = lines[0];
  if (first === undefined || first === '' || !FIELD_LINE.test(first)) {
    const bodyLines = first === '' ? lines.slice(1) : lines;
    return { headerLines: [], bodyLines };
  }

  const blank = lines.indexOf('');
  if (blank === -1) return { headerLines: lines, bodyLines: [] };
  return { headerLines: lines.slice(0, blank), bodyLines: lines.slice(blank + 1) };
}

/**
 * RFC 2046 section 5.1.1: a delimiter line is `--boundary`, the last one `--boundary--`,
 * both possibly followed by white space; the line break before a delimiter belongs to it.
 * The preamble and epilogue are dropped. A body cut off before the closing delimiter (MTAs
 * truncate returned messages) keeps its last part and reports the problem.
 */
function splitMultipart(lines: string[], boundary: string, context: Context): string[][] {
  const delimiter = `--${boundary}`;
  const bodies: string[][] = [];
  let current: string[] | undefined;

  for (const line of lines) {
    const trimmed = line.startsWith(delimiter) ? line.replace(/[ \t]+$/, '') : '';
    if (trimmed === delimiter) {
      current = [];
      bodies.push(current);
    } else if (trimmed === `${delimiter}--`) {
      return bodies;
    } else {
      current?.push(line);
    }
  }

  if (bodies.length === 0) context.problems.push(`no part found for boundary "${boundary}"`);
  else context.problems.push(`multipart with boundary "${boundary}" is not closed`);
  return bodies;
}
