import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { simpleParser } from 'mailparser';
import { expect } from 'vitest';

import type { EmailBody, Pipeline } from './pipeline.js';
import type { RealRelay } from './real-relay.js';

/**
 * The email the real-relay tests send, and what must be true of it in the relay's Maildir.
 * The text has lines that start with "." (the relay must unstuff them), a bare LF and a bare
 * CR, and SMTP smuggling attempts (`<LF>.<LF>`, `<CR>.<CR>`): Mailroom must turn every break
 * into CRLF, so the relay stores exactly one message per recipient and nothing else.
 */
export const TO = 'ana.lima@example.org';
export const CC = 'jun.park@example.org';
export const BCC = ['auditor@example.net', 'archive@example.com'];
export const RECIPIENTS = [TO, CC, ...BCC].sort();

export const SUBJECT = 'Grüße aus Köln — 注文 №1042 ✓';
export const TEXT =
  'Hello Ana,\r\n' +
  '.this line starts with a dot\r\n' +
  '..this one with two\r\n' +
  '.\r\n' +
  'a bare LF follows\nand a bare CR follows\rand CRLF\r\n' +
  'lf:\n.\nMAIL FROM:<smuggler@example.com>\nRCPT TO:<victim@example.org>\nDATA\n' +
  'Subject: smuggled\n\nsmuggled body\n.\n' +
  'cr:\r.\rRSET\r' +
  'crlf:\r\n.\r\nNOOP\r\n' +
  'Bye.';
export const HTML = '<p>Grüße, <b>Ana</b>!</p>\n.<p>a dot first</p>\n';

const TRACE_HEADERS = new Set([
  'return-path', 'delivered-to', 'x-original-to', 'envelope-to', 'delivery-date', 'received',
]);

export const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export interface SentSample {
  id: string;
  attachment: Buffer;
  email: EmailBody;
}

export async function sendSample(pipeline: Pipeline): Promise<SentSample> {
  const attachment = randomBytes(40_000);
  const response = await pipeline.send({
    from: 'Example Shop <orders@example.com>',
    to: [`Ana Lima <${TO}>`],
    cc: CC,
    bcc: BCC,
    subject: SUBJECT,
    text: TEXT,
    html: HTML,
    attachments: [{
      filename: 'data.bin', content: attachment.toString('base64'),
      contentType: 'application/octet-stream',
    }],
  });
  const body = await response.json() as { id: string };
  expect(response.status, JSON.stringify(body)).toBe(202);
  const email = await pipeline.waitFor(body.id, (e) => e.status === 'sent', 30_000);
  return { id: body.id, attachment, email };
}

/** Waits until the Maildir holds `count` files more than `before`, then a moment longer. */
export async function waitForFiles(
  relay: RealRelay,
  before: string[],
  count: number,
  ms = 20_000,
): Promise<string[]> {
  const deadline = Date.now() + ms;
  const fresh = () => relay.files().filter((file) => !before.includes(file));
  while (fresh().length < count && Date.now() < deadline) await sleep(100);
  // A smuggled second message would be delivered right behind the real one.
  await sleep(1_500);
  return fresh();
}

export interface Delivered {
  file: string;
  raw: string;
  /** The message without the headers the relay added. */
  message: string;
  envelopeTo: string;
}

/**
 * Everything the tests assert about the delivered files. `envelopeHeader` is the header in
 * which the relay records the recipient (Postfix Delivered-To, Exim Envelope-to).
 */
export async function expectSampleInMaildir(
  files: string[],
  sample: SentSample,
  envelopeHeader: string,
): Promise<Delivered[]> {
  expect(files).toHaveLength(RECIPIENTS.length);
  const delivered = files.map((file) => readDelivered(file, envelopeHeader));

  expect(delivered.map((d) => d.envelopeTo).sort()).toEqual(RECIPIENTS);
  // The same message for each recipient, byte for byte once the trace headers are gone.
  expect(new Set(delivered.map((d) => d.message)).size).toBe(1);

  for (const { raw, message } of delivered) {
    // Only LF or CRLF line endings: no bare CR survived.
    expect(raw).not.toMatch(/\r(?!\n)/);
    expect(raw).not.toMatch(/^bcc:/im);
    for (const address of BCC) expect(message).not.toContain(address);
    // Dot-unstuffing: the stored lines are the original ones, not stuffed and not dropped.
    const lines = raw.split(/\r?\n/);
    expect(lines).toContain('.this line starts with a dot');
    expect(lines).toContain('..this one with two');
    expect(lines.filter((line) => line === '.')).toHaveLength(5);
    expect(lines.some((line) => line.startsWith('...'))).toBe(false);

    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe(sample.email.messageId);
    expect(parsed.subject).toBe(SUBJECT);
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : [])
      .toEqual([{ address: TO, name: 'Ana Lima' }]);
    expect(parsed.text?.replace(/\r\n/g, '\n').trimEnd())
      .toBe(TEXT.replace(/\r\n|\r|\n/g, '\n'));
    expect(parsed.html).toContain('<b>Ana</b>');
    expect(parsed.html).toContain('\n.<p>a dot first</p>');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]?.filename).toBe('data.bin');
    expect(sha(parsed.attachments[0]?.content ?? Buffer.alloc(0))).toBe(sha(sample.attachment));
  }
  return delivered;
}

/** The API's record: every recipient sent, with the relay's own reply and queue id. */
export function expectSentRecord(email: EmailBody, reply: RegExp): string {
  expect(email.status).toBe('sent');
  expect(email.recipients.map((r) => r.address).sort()).toEqual(RECIPIENTS);
  const queueId = email.recipients[0]?.queueId;
  expect(queueId).toEqual(expect.any(String));
  for (const recipient of email.recipients) {
    expect(recipient).toMatchObject({ status: 'sent', replyCode: 250, queueId });
    expect(recipient.reply).toMatch(reply);
    expect(String(recipient.reply)).toContain(String(queueId));
  }
  expect(email.events.map((e) => e.type)).toEqual(['queued', 'attempt', 'sent']);
  return String(queueId);
}

/** Sends with a wrong password: the email is deferred for AUTH and nothing is delivered. */
export async function expectAuthRefusal(
  pipeline: Pipeline,
  relay: RealRelay,
  reply: RegExp,
): Promise<EmailBody> {
  const before = relay.files();
  const response = await pipeline.send({
    from: 'orders@example.com', to: TO, subject: 'Wrong password', text: 'never delivered',
  });
  const { id } = await response.json() as { id: string };
  const email = await pipeline.waitFor(id, (e) => e.status === 'deferred', 20_000);

  expect(email.reason).toBe('relay_auth_failed');
  expect(email.recipients[0]).toMatchObject({ status: 'deferred', replyCode: 535 });
  expect(email.recipients[0]?.reply).toMatch(reply);
  expect(email.events.map((e) => e.type)).toEqual(['queued', 'attempt', 'deferred']);
  await sleep(1_000);
  expect(relay.files()).toEqual(before);
  return email;
}

function readDelivered(file: string, envelopeHeader: string): Delivered {
  const raw = readFileSync(file, 'latin1');
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split);
  const fields = head.split(/\r?\n(?![ \t])/);
  const name = (field: string) => field.slice(0, field.indexOf(':')).trim().toLowerCase();
  const envelope = fields.filter((field) => name(field) === envelopeHeader.toLowerCase());
  expect(envelope, `one ${envelopeHeader} header in ${file}`).toHaveLength(1);
  const kept = fields.filter((field) => !TRACE_HEADERS.has(name(field)));
  return {
    file,
    raw,
    message: [...kept, raw.slice(split)].join('\n'),
    envelopeTo: (envelope[0] ?? '').slice(envelopeHeader.length + 1).trim(),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
