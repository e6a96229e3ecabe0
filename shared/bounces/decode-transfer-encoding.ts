/**
 * Content-Transfer-Encoding (RFC 2045 section 6). Decoding never fails: bytes that do not
 * fit the encoding are kept as they are, and an unknown encoding leaves the body untouched
 * with a problem to report.
 */

export interface DecodedBody {
  body: Buffer;
  problem?: string;
}

const IDENTITY = new Set(['', '7bit', '8bit', 'binary']);

export function decodeTransferEncoding(bytes: Buffer, encoding: string | undefined): DecodedBody {
  const name = (encoding ?? '').trim().toLowerCase();

  if (IDENTITY.has(name)) return { body: bytes };
  if (name === 'base64') return { body: decodeBase64(bytes) };
  if (name === 'quoted-printable') return { body: decodeQuotedPrintable(bytes) };
  return { body: bytes, problem: `unsupported Content-Transfer-Encoding "${name}"` };
}

/** RFC 2045 section 6.8: characters outside the alphabet are ignored. */
function decodeBase64(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
}

/**
 * RFC 2045 section 6.7: `=XX` is one octet, `=` at the end of a line is a soft line break,
 * and white space at the end of an encoded line was added in transport and must be deleted.
 * An `=` not followed by two hex digits is kept literally, as the section suggests.
 */
function decodeQuotedPrintable(bytes: Buffer): Buffer {
  const lines = bytes.toString('latin1').split('\n');
  let output = '';

  lines.forEach((line, index) => {
    const trimmed = line.replace(/[ \t\r]+$/, '');
    const soft = trimmed.endsWith('=');
    output += (soft ? trimmed.slice(0, -1) : trimmed).replace(
      /=([0-9A-Fa-f]{2})/g,
      (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)),
    );
    if (!soft && index < lines.length - 1) output += '\n';
  });

  return Buffer.from(output, 'latin1');
}
