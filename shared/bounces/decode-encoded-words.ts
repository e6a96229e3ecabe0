/**
 * RFC 2047 encoded-words in unstructured header text, such as a localised bounce subject
 * `=?UTF-8?Q?Unzustellbar:?= ...`. Only for display and matching: addresses are always
 * read from the raw value, where an encoded-word cannot hide a `<` or `,`.
 */
import { decodeCharset } from './decode-charset.js';

// charset may carry an RFC 2231 language suffix (`UTF-8*de`); no white space inside.
const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g;
const LINEAR_WHITE_SPACE = /^[ \t\r\n]*$/;

interface Pending {
  charset: string;
  chunks: Buffer[];
}

export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;

  let output = '';
  let consumed = 0;
  let pending: Pending | undefined;
  const flush = (): string => {
    if (!pending) return '';
    const text = decodeCharset(Buffer.concat(pending.chunks), pending.charset);
    pending = undefined;
    return text;
  };

  for (const match of value.matchAll(ENCODED_WORD)) {
    const gap = value.slice(consumed, match.index);
    const charset = (match[1] ?? '').toLowerCase();
    const bytes = decodeWord(match[2] ?? 'Q', match[3] ?? '');
    consumed = match.index + match[0].length;

    // RFC 2047 section 6.2: white space between adjacent encoded-words is not displayed.
    const adjacent = pending !== undefined && LINEAR_WHITE_SPACE.test(gap);
    if (!adjacent) output += flush() + gap;
    // Words split inside a multi-byte character only decode once joined.
    if (adjacent && pending?.charset === charset) {
      pending.chunks.push(bytes);
      continue;
    }

    output += flush();
    pending = { charset, chunks: [bytes] };
  }

  return output + flush() + value.slice(consumed);
}

function decodeWord(encoding: string, text: string): Buffer {
  if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64');

  // RFC 2047 section 4.2: "_" stands for a space and "=XX" for one octet.
  const binary = text
    .replace(/_/g, ' ')
    .replace(/=([0-9A-Fa-f]{2})/g, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(binary, 'latin1');
}
