/**
 * Just enough RFC 5322 / RFC 2047 to show a header of a stored message: unfold it and decode
 * its encoded words. Anything undecodable is shown as it was written rather than dropped.
 */

/** The header section: everything before the first empty line. */
export function headerSection(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  return end === -1 ? raw : raw.slice(0, end);
}

/** The decoded value of the first header called `name`, or undefined when it is absent. */
export function headerValue(section: string, name: string): string | undefined {
  // RFC 5322 section 2.2.3: a line break followed by white space continues the header.
  const unfolded = section.replace(/\r?\n(?=[ \t])/g, '');
  const prefix = `${name.toLowerCase()}:`;
  const line = unfolded.split(/\r?\n/).find((entry) => entry.toLowerCase().startsWith(prefix));

  return line === undefined ? undefined : decodeEncodedWords(line.slice(prefix.length).trim());
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

export function decodeEncodedWords(value: string): string {
  // RFC 2047 section 6.2: white space between two encoded words is not part of the text.
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');

  return joined.replace(ENCODED_WORD, (word, charset: string, encoding: string, text: string) => {
    try {
      const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : quoted(text);
      // RFC 2231 lets a language follow the charset: "utf-8*en".
      const label = charset.split('*')[0] ?? charset;
      return new TextDecoder(label).decode(bytes);
    } catch {
      return word;
    }
  });
}

function quoted(text: string): Buffer {
  const bytes: number[] = [];

  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const hex = text.slice(i + 1, i + 3);
    if (char === '=' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      // In the "Q" encoding an underscore stands for a space (RFC 2047 section 4.2).
      bytes.push(char === '_' ? 0x20 : char.charCodeAt(0) & 0xff);
    }
  }
  return Buffer.from(bytes);
}
