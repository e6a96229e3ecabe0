import { readFileSync } from 'node:fs';

export type LineEnding = 'LF' | 'CRLF';

/** A fixture from test/fixtures as bytes, with LF (as on disk) or CRLF (as on the wire). */
export function loadFixture(path: string, lineEnding: LineEnding = 'LF'): Buffer {
  const raw = readFileSync(new URL(`../../fixtures/${path}`, import.meta.url));
  return lineEnding === 'LF' ? raw : toCrlf(raw);
}

export function toCrlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** The fixture with every occurrence of `search` replaced, for variants of one layout. */
export function editFixture(raw: Buffer, search: string | RegExp, replacement: string): Buffer {
  const text = raw.toString('latin1');
  const edited =
    typeof search === 'string'
      ? text.split(search).join(replacement)
      : text.replace(search, replacement);
  if (edited === text) throw new Error(`fixture edit matched nothing: ${String(search)}`);
  return Buffer.from(edited, 'latin1');
}
