import { z } from 'zod';

import { parseMailbox } from '../email/mailbox.js';

/**
 * The body of `POST /v1/emails`. One schema gives the TypeScript type, the request
 * validation and the OpenAPI document. Objects are strict: an unknown field is an error,
 * because a misspelt `bcc` silently ignored would send mail the caller did not mean to.
 */
export const MAX_RECIPIENTS = 50;
export const MAX_ATTACHMENTS = 20;
export const MAX_SUBJECT_LENGTH = 998;

const NO_LINE_BREAKS = /^[^\r\n]*$/;

const mailbox = z.string().max(998).superRefine((value, context) => {
  const parsed = parseMailbox(value);
  if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.reason });
}).meta({
  description: 'An address, optionally with a display name: `"Name" <name@example.com>`.',
  example: 'Ana Lima <ana.lima@example.org>',
});

const mailboxes = z.union([mailbox, z.array(mailbox).min(1).max(MAX_RECIPIENTS)]);

/**
 * Headers that Mailroom owns: the address fields and the identity of the message, and
 * everything that describes the MIME structure. Setting them through `headers` would let
 * a caller contradict the envelope or break the message.
 */
const RESERVED_HEADER = new RegExp(
  '^(message-id|date|from|sender|to|cc|bcc|reply-to|subject|return-path|received|'
    + 'mime-version|content-[a-z-]*|resent-[a-z-]*|dkim-signature)$',
  'i',
);

const headerName = z.string()
  .regex(/^[\x21-\x39\x3b-\x7e]{1,76}$/, 'header names are 1 to 76 printable ASCII characters '
    + 'without ":" (RFC 5322 section 2.2)')
  .refine((name) => !RESERVED_HEADER.test(name), 'this header is set by Mailroom and cannot be '
    + 'given in headers');

const headerValue = z.string().max(998)
  .regex(NO_LINE_BREAKS, 'must not contain CR or LF characters')
  .regex(/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/, 'must not contain control characters');

const base64 = z.string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
    'must be standard base64 without line breaks');

const attachment = z.strictObject({
  filename: z.string().min(1).max(255)
    .regex(NO_LINE_BREAKS, 'must not contain CR or LF characters')
    .regex(/^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f/\\]*$/,
      'must not contain control characters or path separators'),
  content: base64.meta({ description: 'The file content, base64-encoded.' }),
  contentType: z.string()
    .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i,
      'must be a MIME type such as application/pdf')
    .optional(),
  contentId: z.string().min(1).max(250)
    .regex(/^<?[\x21-\x3b\x3d\x3f-\x7e]+>?$/, 'must be printable ASCII without spaces')
    .optional()
    .meta({ description: 'Makes the attachment inline: refer to it as `cid:<contentId>`.' }),
});

const tags = z.record(
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tag names are 1 to 64 letters, digits, _ or -'),
  z.string().max(256).regex(/^[\x20-\x7e]*$/, 'tag values are printable ASCII'),
).refine((value) => Object.keys(value).length <= 20, 'at most 20 tags');

export const SendEmailRequest = z.strictObject({
  from: mailbox,
  to: mailboxes,
  cc: mailboxes.optional(),
  bcc: mailboxes.optional(),
  replyTo: mailboxes.optional(),
  subject: z.string().min(1).max(MAX_SUBJECT_LENGTH)
    .regex(NO_LINE_BREAKS, 'must not contain CR or LF characters'),
  text: z.string().optional(),
  html: z.string().optional(),
  headers: z.record(headerName, headerValue).optional(),
  attachments: z.array(attachment).max(MAX_ATTACHMENTS).optional(),
  tags: tags.optional(),
}).superRefine((request, context) => {
  if (request.text === undefined && request.html === undefined) {
    context.addIssue({ code: 'custom', path: ['text'], message: 'text or html is required' });
  }

  const count = [request.to, request.cc, request.bcc]
    .reduce((sum, list) => sum + (list === undefined ? 0 : [list].flat().length), 0);
  if (count > MAX_RECIPIENTS) {
    context.addIssue({
      code: 'custom',
      path: ['to'],
      message: `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together`,
    });
  }
}).meta({ id: 'SendEmailRequest' });

export type SendEmailRequest = z.infer<typeof SendEmailRequest>;
