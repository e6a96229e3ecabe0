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
