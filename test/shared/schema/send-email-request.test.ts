import { describe, expect, it } from 'vitest';

import { validationDetails } from '../../../functions/api/validation-details.js';
import { SendEmailRequest } from '../../../shared/schema/send-email-request.js';

const base = {
  from: 'Example Shop <orders@example.com>',
  to: ['ana.lima@example.org'],
  subject: 'Hello',
  text: 'Hi',
};

function errorsOf(body: unknown) {
  const result = SendEmailRequest.safeParse(body);
  return result.success ? [] : validationDetails(result.error);
}

describe('SendEmailRequest', () => {
  it('accepts a minimal request and a string recipient', () => {
    expect(errorsOf(base)).toEqual([]);
    expect(errorsOf({ ...base, to: 'ana.lima@example.org' })).toEqual([]);
  });

  it('requires text or html', () => {
    const { text: _text, ...body } = base;

    expect(errorsOf(body)).toEqual([{ path: 'text', message: 'text or html is required' }]);
  });

  it('names an unknown field', () => {
    expect(errorsOf({ ...base, bc: ['x@example.com'] }))
      .toEqual([{ path: 'bc', message: 'is not a known field' }]);
  });

  it('names the recipient index that is wrong', () => {
    const paths = errorsOf({ ...base, to: ['ana.lima@example.org', 'not-an-address'] })
      .map((detail) => detail.path);

    expect(paths).toEqual(['to[1]']);
  });

  it.each([
    [{ replyTo: 'quinn.reyes@example.org\r\nBcc: leak@example.net' }, 'replyTo'],
    [{ replyTo: '"Quinn Reyes\r\nBcc: leak@example.net" <quinn.reyes@example.org>' }, 'replyTo'],
    [{ replyTo: { name: 'Quinn\r\nBcc: x@example.net', address: 'quinn@example.org' } }, 'replyTo'],
    [{ from: 'Example Shop\nX-Priority: 1 <orders@example.com>' }, 'from'],
    [{ subject: 'Hi\r\nBcc: leak@example.net' }, 'subject'],
    [{ headers: { 'X-Note': 'a\nb' } }, 'headers.X-Note'],
  ])('refuses a line break in %j naming %s', (patch, path) => {
    const details = errorsOf({ ...base, ...patch });

    expect(details.map((detail) => detail.path)).toContain(path);
  });

  it('refuses reserved header names, naming each one', () => {
    const details = errorsOf({
      ...base,
      headers: { Bcc: 'sneaky@example.net', To: 'override@example.net', From: 'ceo@example.com',
        'Content-Type': 'text/html', 'X-Campaign': 'ok' },
    });

    expect(details.map((detail) => detail.path).sort())
      .toEqual(['headers.Bcc', 'headers.Content-Type', 'headers.From', 'headers.To']);
  });

  it('refuses a CR/LF in an attachment filename, naming its index', () => {
    const details = errorsOf({
      ...base,
      attachments: [
        { filename: 'ok.txt', content: 'UXVhcnRlcmx5Cg==' },
        { filename: 'a"b;c\r\nX-Inject: 1.txt', content: 'UXVhcnRlcmx5Cg==' },
      ],
    });

    expect(details.map((detail) => detail.path)).toContain('attachments[1].filename');
  });

  it('refuses content that is not base64', () => {
    const details = errorsOf({
      ...base, attachments: [{ filename: 'a.txt', content: 'not base64!' }],
    });

    expect(details.map((detail) => detail.path)).toEqual(['attachments[0].content']);
  });

  it('refuses an unquoted comma in a display name', () => {
    const details = errorsOf({ ...base, from: 'Park, Jun <jun.park@example.com>' });

    expect(details.map((detail) => detail.path)).toEqual(['from']);
  });

  it('limits the recipients across to, cc and bcc', () => {
    const many = Array.from({ length: 30 }, (_, i) => `r${i}@example.org`);
    const details = errorsOf({ ...base, to: many, bcc: many });

    expect(details.map((detail) => detail.path)).toEqual(['to']);
  });
});

describe('SendEmailRequest: keys that name Object.prototype members', () => {
  it.each([
    ['{"tags":{"__proto__":"x"}}', 'tags.__proto__'],
    ['{"headers":{"__proto__":"x"}}', 'headers.__proto__'],
  ])('refuses %s, naming %s', (patch, path) => {
    const body = { ...base, ...JSON.parse(patch) };

    const details = errorsOf(body);

    expect(details).toEqual([{ path, message: expect.stringContaining('__proto__') }]);
  });

  it('keeps a tag and a header named constructor as ordinary keys', () => {
    const patch = '{"tags":{"constructor":"y"},"headers":{"constructor":"z"}}';
    const body = { ...base, ...JSON.parse(patch) };

    const parsed = SendEmailRequest.parse(body);

    expect(Object.entries(parsed.tags ?? {})).toEqual([['constructor', 'y']]);
    expect(Object.entries(parsed.headers ?? {})).toEqual([['constructor', 'z']]);
  });
});

describe('SendEmailRequest: messages a caller can act on', () => {
  const many = Array.from({ length: 51 }, (_, i) => `r${i}@example.org`);

  it.each([
    ['51 addresses in to', { to: many }, 'to',
      'at most 50 recipients in to, cc and bcc together'],
    ['a number as to', { to: 5 }, 'to', 'must be an address or a list of addresses'],
    ['null as cc', { cc: null }, 'cc', 'must be an address or a list of addresses'],
    ['an empty list', { to: [] }, 'to', 'must list at least one address'],
    ['a number in the list', { to: [5] }, 'to[0]', 'must be an address such as name@example.com'],
    ['an empty subject', { subject: '' }, 'subject', 'must not be empty'],
    ['a number as text', { text: 5 }, 'text', 'must be a string'],
    ['a list as tags', { tags: [] }, 'tags', 'must be an object'],
  ])('explains %s', (_name, patch, path, message) => {
    const details = errorsOf({ ...base, ...patch });

    expect(details).toEqual([{ path, message }]);
  });

  it('says "required" for each missing field', () => {
    const details = errorsOf({ text: 'Hi' });

    expect(details).toEqual([
      { path: 'from', message: 'required' },
      { path: 'to', message: 'required' },
      { path: 'subject', message: 'required' },
    ]);
  });

  it('never passes on zod\'s own wording', () => {
    const details = errorsOf({
      to: 5, cc: [], bcc: [7], subject: 3, attachments: [{}], headers: 'x', tags: { a: 1 },
    });

    expect(details.length).toBeGreaterThan(5);
    for (const detail of details) {
      expect(detail.message).not.toMatch(/Invalid input|Too (small|big)|expected \w+,/);
    }
  });
});

describe('SendEmailRequest: control characters', () => {
  const file = (filename: string) => ({ attachments: [{ filename, content: '' }] });

  it.each([
    [{ subject: 'x\u0000y' }, 'subject'],
    [{ subject: 'x\u0085y' }, 'subject'],
    [{ from: 'Shop\u0007 <orders@example.com>' }, 'from'],
    [{ to: ['"Ana\u009b" <ana.lima@example.org>'] }, 'to[0]'],
    [file('report\u0000.pdf'), 'attachments[0].filename'],
    [file('report\u0090.pdf'), 'attachments[0].filename'],
    [{ headers: { 'X-Note': 'a\u0085b' } }, 'headers.X-Note'],
  ])('refuses %j, naming %s', (patch, path) => {
    const details = errorsOf({ ...base, ...patch });

    expect(details).toEqual([{ path, message: 'must not contain control characters' }]);
  });

  it('allows a tab in the subject, as in header values', () => {
    expect(errorsOf({ ...base, subject: 'Order\t7781', headers: { 'X-Note': 'a\tb' } }))
      .toEqual([]);
  });
});

describe('SendEmailRequest: attachment content types', () => {
  const withType = (contentType: string) => ({
    ...base, attachments: [{ filename: 'a.txt', content: 'SGk=', contentType }],
  });

  it.each(['multipart/mixed', 'Multipart/Alternative'])('refuses %s', (contentType) => {
    const details = errorsOf(withType(contentType));

    expect(details).toEqual([{
      path: 'attachments[0].contentType',
      message: 'must not be a multipart type: an attachment is a single part',
    }]);
  });

  it('accepts any case (RFC 2045 section 5.1) and passes the type on in lower case', () => {
    const parsed = SendEmailRequest.parse(withType('Text/Plain'));

    expect(parsed.attachments?.[0]?.contentType).toBe('text/plain');
  });
});

describe('SendEmailRequest: attachment content', () => {
  const withContent = (content: string) => ({
    ...base, attachments: [{ filename: 'scan.bin', content }],
  });

  it('checks base64 of a few megabytes without running out of stack', () => {
    expect(errorsOf(withContent('QUJD'.repeat(1_200_000)))).toEqual([]);
  });

  it.each(['QUJ', 'QU=D', 'QUJD\nQUJD', 'QUJ*'])('refuses %j', (content) => {
    expect(errorsOf(withContent(content))).toEqual([{
      path: 'attachments[0].content', message: 'must be standard base64 without line breaks',
    }]);
  });
});
