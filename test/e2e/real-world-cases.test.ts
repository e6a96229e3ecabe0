import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { startScriptedRelay, type ScriptedRelay } from '../support/scripted-relay.js';

/** Real-world inputs that broke other email APIs, kept as fixtures with their sources. */
interface Case {
  id: string;
  input: { body?: Record<string, unknown>; bodies?: Array<Record<string, unknown>> };
}
const cases = JSON.parse(readFileSync(
  new URL('../fixtures/cases/cases.json', import.meta.url), 'utf8',
)) as Case[];
const caseInput = (id: string) => {
  const found = cases.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found.input;
};

/** The scripted relay records DATA with the dots still stuffed; readers need them undone. */
const unstuff = (raw: Buffer) =>
  Buffer.from(raw.toString('latin1').replace(/^\.\./gm, '.'), 'latin1');
const lf = (text: string) => text.replace(/\r\n|\r|\n/g, '\n');
const names = (field: AddressObject | AddressObject[] | undefined) =>
  [field ?? []].flat().flatMap((group) => group.value.map((mailbox) => mailbox.name));

describe('real-world cases', () => {
  let relay: ScriptedRelay;
  let pipeline: Pipeline;

  const sendAndDeliver = async (body: unknown) => {
    const response = await pipeline.send(body);
    const { id } = await response.json() as { id: string };
    expect(response.status).toBe(202);
    const email = await pipeline.waitFor(id, (e) => e.status === 'sent');
    const transactions = relay.transactions.filter((t) => t.raw.toString('latin1').includes(id));
    expect(transactions).toHaveLength(1);
    return { email, transaction: transactions[0]! };
  };
  const refused = async (body: unknown) => {
    const response = await pipeline.send(body);
    expect(response.status).toBe(400);
    const error = (await response.json() as {
      error: { code: string; details: Array<{ path: string }> };
    }).error;
    expect(error.code).toBe('validation_failed');
    return error.details.map((detail) => detail.path);
  };

  beforeAll(async () => {
    relay = await startScriptedRelay();
    pipeline = await startPipeline({
      smtpUrl: `smtp://relay-user:relay-secret@127.0.0.1:${relay.port}`,
      caPem: relay.caPem,
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await relay?.close();
  });

  it('C-01: smuggled SMTP commands in the body travel as inert content, CRLF only', async () => {
    const body = caseInput('C-01').body!;

    const { transaction } = await sendAndDeliver(body);

    expect(transaction.recipients).toEqual(['ana.lima@example.org']);
    expect(relay.transactions.some((t) => t.recipients.includes('victim@example.net'))).toBe(false);
    const raw = transaction.raw.toString('latin1');
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(raw.split('\r\n')
      .filter((line) => line.startsWith('.'))
      .every((l) => l.startsWith('..')))
      .toBe(true);
    const parsed = await simpleParser(unstuff(transaction.raw));
    expect(lf(parsed.text ?? '')).toBe(lf(String(body.text)));
    expect(lf(String(parsed.html))).toBe(lf(String(body.html)));
  });

  it('C-02: CR or LF in a display name or address is refused, naming the field', async () => {
    const paths = [];
    for (const body of caseInput('C-02').bodies!) paths.push(await refused(body));

    expect(paths).toEqual([['replyTo'], ['replyTo'], ['replyTo'], ['from']]);
  });

  it('C-03: display names with commas, quotes, parentheses and non-ASCII round-trip', async () => {
    const [valid, invalid] = caseInput('C-03').bodies!;

    const { transaction } = await sendAndDeliver(valid);
    const parsed = await simpleParser(unstuff(transaction.raw));

    expect(transaction.recipients.sort())
      .toEqual(['ana.lima@example.org', 'jun.park@example.org', 'soren.aero@example.org']);
    expect(names(parsed.to)).toEqual(['Lima, Ana', 'Jun "JP" Park']);
    expect(names(parsed.cc)).toEqual(['Søren Ærø']);
    expect(names(parsed.from)).toEqual(['Example Shop, Billing']);
    expect(names(parsed.replyTo)).toEqual(['Support (Billing)']);
    expect(transaction.raw.toString('latin1')).toMatch(/^Cc: =\?UTF-8\?/m);
    expect(await refused(invalid)).toEqual(['from']);
  });

  it('C-04: lines over 998 octets are encoded, and decode to the exact content', async () => {
    const body = caseInput('C-04').body!;

    const { transaction } = await sendAndDeliver(body);
    const parsed = await simpleParser(unstuff(transaction.raw));

    const longest = Math.max(
      ...transaction.raw.toString('latin1').split('\r\n').map((l) => l.length),
    );
    expect(longest).toBeLessThanOrEqual(998);
    expect(lf(String(parsed.html))).toBe(lf(String(body.html)));
    expect(lf(parsed.text ?? '')).toBe(lf(String(body.text)));
  });

  it('C-05: attachment names with umlauts, emoji and CJK survive; ' +
    'CR/LF in one is refused', async () => {
    const body = caseInput('C-05').body!;
    const attachments = body.attachments as Array<{ filename: string; content: string }>;

    const paths = await refused(body);
    const { transaction } = await sendAndDeliver({ ...body, attachments: attachments.slice(0, 2) });
    const parsed = await simpleParser(unstuff(transaction.raw));

    expect(paths).toEqual(['attachments[2].filename']);
    expect(parsed.attachments.map((a) => a.filename))
      .toEqual(attachments.slice(0, 2).map((a) => a.filename));
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(parsed.attachments.map((a) => sha(a.content)))
      .toEqual(attachments.slice(0, 2).map((a) => sha(Buffer.from(a.content, 'base64'))));
    const headerBlock = transaction.raw.toString('latin1');
    expect(headerBlock).toMatch(/filename\*0\*=utf-8''/i);
    expect(headerBlock).not.toMatch(/^X-Inject:/m);
    expect(transaction.raw.every((byte) => byte < 0x80)).toBe(true);
  });

  it('C-06: Bcc recipients get the mail and appear nowhere in it; ' +
    'headers cannot set addresses', async () => {
    const [withBcc, override] = caseInput('C-06').bodies!;

    const { email, transaction } = await sendAndDeliver(withBcc);
    const raw = transaction.raw.toString('latin1');

    expect(transaction.recipients.sort()).toEqual([
      'ana.lima@example.org', 'archive@example.com', 'auditor@example.net', 'jun.park@example.org',
    ]);
    expect(raw).not.toMatch(/^bcc:/im);
    expect(raw).not.toContain('auditor@example.net');
    expect(raw).not.toContain('archive@example.com');
    expect(email.recipients.filter((r) => r.field === 'bcc').map((r) => r.status))
      .toEqual(['sent', 'sent']);
    expect((await refused(override)).sort())
      .toEqual(['headers.Bcc', 'headers.Content-Type', 'headers.From', 'headers.To']);
  });
});
