import { z } from 'zod';

import {
  CONTROL_CHARACTERS_MESSAGE, NO_CONTROL_CHARACTERS,
} from '../email/control-characters.js';
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
const TOO_MANY_RECIPIENTS = `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together`;

/** Names the expected type; a missing field keeps the shared message ("required"). */
const wrongType = (message: string) => (issue: { code?: string; input?: unknown }) => {
  const wrong = issue.code === 'invalid_type' || issue.code === 'invalid_union';
  return wrong && issue.input !== undefined ? message : undefined;
};

const mailbox = z.string({ error: wrongType('must be an address such as name@example.com') })
  .max(998)
  .superRefine((value, context) => {
    const parsed = parseMailbox(value);
    if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.reason });
  }).meta({
    description: 'An address, optionally with a display name: `"Name" <name@example.com>`.',
    example: 'Ana Lima <ana.lima@example.org>',
  });

const mailboxes = (tooMany: string) => z.union([
  mailbox,
  z.array(mailbox).min(1, 'must list at least one address').max(MAX_RECIPIENTS, tooMany),
], { error: wrongType('must be an address or a list of addresses') });

/**
 * zod builds a record on a plain object and skips a `__proto__` key (assigning it would
 * replace the object's prototype), so the key would vanish without a word. It is refused by
 * name instead, before the record is read.
 */
function withoutProtoKey<T extends z.ZodType>(record: T, what: string) {
  return z.preprocess((value, context) => {
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
      context.addIssue({
        code: 'custom',
        path: ['__proto__'],
        message: `"__proto__" cannot be ${what}`,
        input: value,
      });
    }
    return value;
  }, record);
}

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
  .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_MESSAGE);

// One flat character class and a length check: a pattern with a repeated group overflows
// the regular expression stack on attachments of a few megabytes.
const BASE64_MESSAGE = 'must be standard base64 without line breaks';
const base64 = z.string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: BASE64_MESSAGE, abort: true })
  .refine((value) => value.length % 4 === 0, BASE64_MESSAGE);

/**
 * MIME types compare case-insensitively (RFC 2045 section 5.1), so any case is accepted; the
 * pattern spells both cases out because a JSON Schema pattern has no flags. An attachment is
 * one leaf part: a multipart type would make the composer treat its content as the
 * message's own structure.
 */
const contentType = z.string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/,
    'must be a MIME type such as application/pdf')
  .refine((value) => !/^multipart\//i.test(value),
    'must not be a multipart type: an attachment is a single part')
  .transform((value) => value.toLowerCase())
  .meta({ description: 'A MIME type such as `application/pdf`, in any case; not multipart.' });

const attachment = z.strictObject({
  filename: z.string().min(1).max(255)
    .regex(NO_LINE_BREAKS, 'must not contain CR or LF characters')
    .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_MESSAGE)
    .regex(/^[^\t/\\]*$/, 'must not contain tabs or path separators'),
  content: base64.meta({ description: 'The file content, base64-encoded.' }),
  contentType: contentType.optional(),
  contentId: z.string().min(1).max(250)
    .regex(/^<?[\x21-\x3b\x3d\x3f-\x7e]+>?$/, 'must be printable ASCII without spaces')
    .optional()
    .meta({ description: 'Makes the attachment inline: refer to it as `cid:<contentId>`.' }),
});

const tags = withoutProtoKey(z.record(
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tag names are 1 to 64 letters, digits, _ or -'),
  z.string().max(256).regex(/^[\x20-\x7e]*$/, 'tag values are printable ASCII'),
).refine((value) => Object.keys(value).length <= 20, 'at most 20 tags'), 'a tag name');

export const SendEmailRequest = z.strictObject({
  from: mailbox,
  to: mailboxes(TOO_MANY_RECIPIENTS),
  cc: mailboxes(TOO_MANY_RECIPIENTS).optional(),
  bcc: mailboxes(TOO_MANY_RECIPIENTS).optional(),
  replyTo: mailboxes(`at most ${MAX_RECIPIENTS} addresses`).optional(),
  subject: z.string().min(1).max(MAX_SUBJECT_LENGTH)
    .regex(NO_LINE_BREAKS, 'must not contain CR or LF characters')
    .regex(NO_CONTROL_CHARACTERS, CONTROL_CHARACTERS_MESSAGE),
  text: z.string().optional(),
  html: z.string().optional(),
  headers: withoutProtoKey(z.record(headerName, headerValue), 'a header name').optional(),
  attachments: z.array(attachment)
    .max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} attachments`).optional(),
  tags: tags.optional(),
}).superRefine((request, context) => {
  if (request.text === undefined && request.html === undefined) {
    context.addIssue({ code: 'custom', path: ['text'], message: 'text or html is required' });
  }

  const count = [request.to, request.cc, request.bcc]
    .reduce((sum, list) => sum + (list === undefined ? 0 : [list].flat().length), 0);
  if (count > MAX_RECIPIENTS) {
    context.addIssue({ code: 'custom', path: ['to'], message: TOO_MANY_RECIPIENTS });
  }
}).meta({ id: 'SendEmailRequest' });

export type SendEmailRequest = z.infer<typeof SendEmailRequest>;
