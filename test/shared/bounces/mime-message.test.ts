import { describe, expect, it } from 'vitest';

import { parseContentType } from '../../../shared/bounces/content-type.js';
import { decodeEncodedWords } from '../../../shared/bounces/decode-encoded-words.js';
import {
  headerValue,
  parseMimeMessage,
  partText,
  type MimePart,
} from '../../../shared/bounces/mime-message.js';

const message = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');
const leaf = (part: MimePart | undefined, ...path: number[]): MimePart | undefined =>
  path.reduce<MimePart | undefined>((current, index) => current?.parts[index], part);

describe('parseMimeMessage headers', () => {
  it('unfolds continuation lines and compares names case-insensitively', () => {
    const raw = message('SUBJECT: Undelivered', '\tMail Returned', '  to Sender', '', 'body');

    const { root, problems } = parseMimeMessage(raw);

    expect(headerValue(root, 'subject')).toBe('Undelivered\tMail Returned  to Sender');
    expect(problems).toEqual([]);
  });

  it('reads LF and CRLF line endings alike', () => {
    const lines = ['To: a@example.org', 'Content-Type: text/plain', '', 'one', 'two'];

    const crlf = parseMimeMessage(Buffer.from(lines.join('\r\n')));
    const lf = parseMimeMessage(Buffer.from(lines.join('\n')));

    expect(partText(crlf.root)).toBe('one\ntwo');
    expect(lf).toEqual(crlf);
  });

  it('reads raw UTF-8 header values (RFC 6532)', () => {
    const { root } = parseMimeMessage(message('Subject: Zustellung fehlgeschlagen: Grüße', ''));

    expect(headerValue(root, 'subject')).toBe('Zustellung fehlgeschlagen: Grüße');
  });

  it('treats a header section without an empty line as headers only', () => {
    const { root } = parseMimeMessage(message('Message-ID: <x@example.com>', 'To: a@example.org'));

    expect(headerValue(root, 'message-id')).toBe('<x@example.com>');
    expect(root.body.length).toBe(0);
  });

  it('skips an mbox From_ line and reports other stray lines', () => {
    const raw = message('From MAILER-DAEMON Tue May 14 09:12:44 2024', 'To: a@example.org',
      'garbage here', 'Subject: s', '', 'body');

    const { root, problems } = parseMimeMessage(raw);

    expect(headerValue(root, 'subject')).toBe('s');
    expect(problems).toEqual(['not a header field: "garbage here"']);
  });
});

describe('parseMimeMessage multiparts', () => {
  it('splits nested multiparts and decodes each part\'s transfer encoding', () => {
    const raw = message(
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'preamble',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=FC=DFe, soft=',
      ' break =3D done',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: BASE64',
      '',
      Buffer.from('héllo wörld').toString('base64'),
      '--inner--',
      '--outer  ',
      '',
      'no headers: default text/plain',
      '--outer--',
      'epilogue',
    );

    const { root, problems } = parseMimeMessage(raw);

    expect(problems).toEqual([]);
    expect(root.parts).toHaveLength(2);
    expect(partText(leaf(root, 0, 0)!)).toBe('Grüße, soft break = done');
    expect(partText(leaf(root, 0, 1)!)).toBe('héllo wörld');
    expect(leaf(root, 1)?.mediaType).toBe('text/plain');
    expect(partText(leaf(root, 1)!)).toBe('no headers: default text/plain');
  });

  it('does not mistake a longer boundary that starts with the same text', () => {
    const raw = message(
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      '',
      'first',
      '--bb',
      'still first',
      '--b--',
    );

    const { root } = parseMimeMessage(raw);

    expect(root.parts.map(partText)).toEqual(['first\n--bb\nstill first']);
  });

  it('keeps the parts of a multipart that was cut before its closing delimiter', () => {
    const raw = message('Content-Type: multipart/report; boundary=b', '', '--b', '', 'one',
      '--b', '', 'two, cut');

    const { root, problems } = parseMimeMessage(raw);

    expect(root.parts.map(partText)).toEqual(['one', 'two, cut']);
    expect(problems).toEqual(['multipart with boundary "b" is not closed']);
  });

  it('reports a multipart without boundary and leaves its body as it is', () => {
    const { root, problems } = parseMimeMessage(message('Content-Type: multipart/mixed', '', 'x'));

    expect(root.parts).toEqual([]);
    expect(partText(root)).toBe('x');
    expect(problems).toEqual(['multipart/mixed without a boundary parameter']);
  });

  it('gives parts of multipart/digest the default type message/rfc822 (RFC 2046 5.1.5)', () => {
    const raw = message('Content-Type: multipart/digest; boundary=d', '', '--d', '',
      'Message-ID: <a@example.com>', '', 'body', '--d--');

    const { root } = parseMimeMessage(raw);

    expect(root.parts[0]?.mediaType).toBe('message/rfc822');
  });

  it('reports an unknown transfer encoding and keeps the bytes', () => {
    const raw = message('Content-Transfer-Encoding: x-uuencode', '', 'begin 644 x');

    const { root, problems } = parseMimeMessage(raw);

    expect(partText(root)).toBe('begin 644 x');
    expect(problems).toEqual(['unsupported Content-Transfer-Encoding "x-uuencode"']);
  });
});

describe('parseContentType', () => {
  it('reads quoted parameters, comments and case-insensitive names', () => {
    const type = parseContentType(
      'Multipart/Report (a comment); REPORT-TYPE=delivery-status;\t' +
        'boundary="4VmQ2j6YpLz9vB.1715677964/mx.example.org"',
    );

    expect(type.mediaType).toBe('multipart/report');
    expect(type.params.get('report-type')).toBe('delivery-status');
    expect(type.params.get('boundary')).toBe('4VmQ2j6YpLz9vB.1715677964/mx.example.org');
  });

  it('joins RFC 2231 continuations and decodes the charset form', () => {
    const type = parseContentType(
      "text/plain; title*0*=utf-8''Gr%C3%BC; title*1*=%C3%9Fe; boundary*0=ab; boundary*1=\"cd\"",
    );

    expect(type.params.get('title')).toBe('Grüße');
    expect(type.params.get('boundary')).toBe('abcd');
  });

  it('falls back to text/plain for an invalid value (RFC 2045 section 5.2)', () => {
    expect(parseContentType('garbage').mediaType).toBe('text/plain');
    expect(parseContentType(undefined).mediaType).toBe('text/plain');
  });
});

describe('decodeEncodedWords', () => {
  it.each([
    ['=?UTF-8?Q?Unzustellbar:_Gr=C3=BC=C3=9Fe?=', 'Unzustellbar: Grüße'],
    ['=?utf-8?B?w7xiZXI=?= =?utf-8?B?IGFsbGVz?=', 'über alles'],
    ['=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?= 5', '€ 5'],
    ['=?ISO-8859-1*de?Q?Gr=FC=DFe?= aus Berlin', 'Grüße aus Berlin'],
    ['no words here', 'no words here'],
    ['=?bogus-charset?Q?abc?=', 'abc'],
  ])('%s', (encoded, decoded) => {
    expect(decodeEncodedWords(encoded)).toBe(decoded);
  });
});
