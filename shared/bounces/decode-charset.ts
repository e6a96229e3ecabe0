/**
 * Text from bytes in a declared charset (RFC 2046 section 4.1.2). Charset names are matched
 * case-insensitively by TextDecoder; an unknown name falls back instead of throwing.
 */

export interface DecodeCharsetOptions {
  /**
   * What to do with bytes that are not valid in the charset: 'replace' inserts U+FFFD,
   * 'latin1' reads the whole input as ISO-8859-1 instead (useful for header guesses).
   */
  fallback?: 'replace' | 'latin1';
}

export function decodeCharset(
  bytes: Uint8Array,
  charset: string | undefined,
  options: DecodeCharsetOptions = {},
): string {
  const label = charset?.trim().replace(/^["']|["']$/g, '') || 'utf-8';
  const fatal = options.fallback === 'latin1';

  try {
    return new TextDecoder(label, { fatal }).decode(bytes);
  } catch (error) {
    if (error instanceof RangeError && !fatal) return decodeCharset(bytes, 'utf-8', options);
    return Buffer.from(bytes).toString('latin1');
  }
}
