import MailComposer from 'nodemailer/lib/mail-composer';

import { parseMailbox, type Mailbox } from '../email/mailbox.js';
import type { EmailContent } from '../store/email-content.js';
import type { EmailRecord } from '../store/email-record.js';

/**
 * Builds the RFC 5322 message for an email with nodemailer's composer. The Message-ID and
 * Date were fixed when the email was accepted, so every attempt sends the same message.
 * Bcc recipients are envelope-only: they never appear in a header.
 */
export async function buildMessage(record: EmailRecord, content: EmailContent): Promise<Buffer> {
  const composer = new MailComposer({
    from: mailbox(record.from),
    to: record.to.map(mailbox),
    cc: record.cc.map(mailbox),
    ...(record.replyTo.length ? { replyTo: record.replyTo.map(mailbox) } : {}),
    subject: record.subject,
    messageId: record.messageId,
    date: new Date(record.createdAt),
    ...(content.text !== undefined ? { text: toCrlf(content.text) } : {}),
    ...(content.html !== undefined ? { html: toCrlf(content.html) } : {}),
    headers: content.headers ?? {},
    attachments: (content.attachments ?? []).map((attachment) => ({
      filename: attachment.filename,
      content: Buffer.from(attachment.content, 'base64'),
      ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
      ...(attachment.contentId ? { cid: attachment.contentId.replace(/^<|>$/g, '') } : {}),
    })),
    // Data of the message is ours to give, never a path or URL for nodemailer to fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  const built = await new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
  return crlfOnly(built);
}

/**
 * Every line break becomes CRLF. A bare CR or LF reaching the relay is how SMTP smuggling
 * works (RFC 5321 section 2.3.8 forbids them in DATA): a relay that reads `<LF>.<LF>` as
 * the end of DATA would take the rest as new commands.
 */
export function toCrlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

function crlfOnly(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const fixed = toCrlf(text);
  return fixed === text ? message : Buffer.from(fixed, 'latin1');
}

function mailbox(value: string): Mailbox {
  const parsed = parseMailbox(value);
  if (!parsed.ok) throw new Error('a stored address no longer parses');
  return parsed.mailbox;
}
