import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type EmailBody, type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';

const INBOUND_KEY = 'inbound-key-0123456789abcdef';
const fixture = (name: string) => readFileSync(
  new URL(`../fixtures/cases/dsn/${name}`, import.meta.url), 'utf8',
);
/** Puts the Message-ID Mailroom assigned where the report quotes the original message's. */
const forEmail = (report: string, messageId: string) =>
  report.replace(/<CASE-\d+@mail\.example\.com>/g, messageId);

describe('bounce and complaint reports', () => {
  let relay: RecordingRelay;
  let pipeline: Pipeline;

  const deliver = async (to: string): Promise<EmailBody> => {
    const response = await pipeline.send({
      from: 'Example Shop <orders@example.com>', to, subject: 'Order', text: 'Hello',
    });
    const { id } = await response.json() as { id: string };
    return pipeline.waitFor(id, (email) => email.status === 'sent');
  };
  const inbound = (raw: string, headers: Record<string, string> = {}) =>
    fetch(`${pipeline.apiUrl}/v1/inbound/dsn`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${INBOUND_KEY}`,
        'content-type': 'message/rfc822',
        ...headers,
      },
      body: raw,
    });
  const suppression = (address: string) =>
    pipeline.get(`/v1/suppressions/${encodeURIComponent(address)}`);

  beforeAll(async () => {
    relay = await startRecordingRelay();
    pipeline = await startPipeline({
      smtpUrl: relay.url, caPem: relay.caPem, env: { MAILROOM_INBOUND_KEY: INBOUND_KEY },
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await relay?.close();
  });

  it('C-15: a Postfix DSN after alias expansion bounces the address ' +
    'the sender used, once', async () => {
    const email = await deliver('Ana Lima <a.lima@example.org>');
    const report = forEmail(fixture('postfix-user-unknown-alias.eml'), String(email.messageId));

    const first = await inbound(report);
    const again = await inbound(report);
    const after = await pipeline.waitFor(email.id, (e) => e.status === 'bounced');

    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ status: 'applied', emailId: email.id });
    expect(await again.json()).toMatchObject({ status: 'ignored' });
    expect(after.recipients).toEqual([expect.objectContaining({
      address: 'a.lima@example.org', status: 'bounced', enhancedStatus: '5.1.1',
      reason: 'mailbox_does_not_exist',
    })]);
    expect(String(after.recipients[0]?.reply)).not.toMatch(/[\r\n]/);
    expect(after.events.filter((e) => e.type === 'bounced')).toHaveLength(1);
    expect((await suppression('a.lima@example.org')).status).toBe(200);
    expect((await suppression('ana.lima@mailstore.example.org')).status).toBe(404);
  });

  it('C-16: a delay warning is not a bounce, and never undoes one', async () => {
    const waiting = await deliver('Kai Berg <kai.delay@example.org>');
    const delayed = forEmail(fixture('sendmail-delayed-warning.eml'), String(waiting.messageId))
      .replace(/kai\.berg@example\.org/g, 'kai.delay@example.org');

    const response = await inbound(delayed);
    const after = await pipeline.get(`/v1/emails/${waiting.id}`).then((r) => r.json()) as EmailBody;

    expect(await response.json()).toMatchObject({ status: 'applied' });
    expect(after.status).toBe('sent');
    expect(after.events.map((e) => e.type)).toContain('delayed');
    expect((await suppression('kai.delay@example.org')).status).toBe(404);

    const bounced = await deliver('Ana Lima <ana.order@example.org>');
    const failed = forEmail(fixture('postfix-user-unknown-alias.eml'), String(bounced.messageId))
      .replace(/a\.lima@example\.org/g, 'ana.order@example.org');
    const late = forEmail(fixture('sendmail-delayed-warning.eml'), String(bounced.messageId))
      .replace(/kai\.berg@example\.org/g, 'ana.order@example.org');
    await inbound(failed);
    await inbound(late);
    const final = await pipeline.get(`/v1/emails/${bounced.id}`).then((r) => r.json()) as EmailBody;

    expect(final.status).toBe('bounced');
  });

  it('C-17: a Microsoft 365 report correlates by In-Reply-To and keeps 5.1.10', async () => {
    const email = await deliver('Kai Berg <kai.berg@example.org>');
    const report = forEmail(fixture('office365-recipient-not-found.eml'), String(email.messageId));

    await inbound(report);
    const after = await pipeline.waitFor(email.id, (e) => e.status === 'bounced');

    expect(after.recipients[0]).toMatchObject({ status: 'bounced', enhancedStatus: '5.1.10' });
    expect((await suppression('kai.berg@example.org')).status).toBe(200);
  });

  it('C-17: a forged report about a message Mailroom never sent changes nothing', async () => {
    const email = await deliver('Spoof Target <spoof.target@example.org>');
    const forged = fixture('office365-recipient-not-found.eml')
      // An id far in the future: no email can have it.
      .replace(/<CASE-17@mail\.example\.com>/g, `<em_z${email.id.slice(4)}@example.com>`)
      .replace(/kai\.berg@example\.org/g, 'spoof.target@example.org');

    const response = await inbound(forged);
    const after = await pipeline.get(`/v1/emails/${email.id}`).then((r) => r.json()) as EmailBody;

    expect(await response.json()).toMatchObject({ status: 'unmatched' });
    expect(after.status).toBe('sent');
    expect((await suppression('spoof.target@example.org')).status).toBe(404);
  });

  it('keeps a report it cannot read, and says so', async () => {
    const response = await inbound('this is not a bounce\r\n');
    const report = await response.json() as { id: string; status: string };
    const kept = await pipeline.get(`/v1/reports/${report.id}`).then((r) => r.json()) as {
      raw: string;
    };

    expect(report.status).toBe('unparsed');
    expect(kept.raw).toContain('this is not a bounce');
  });

  it('says when the kept raw text is only the start of a large report', async () => {
    const large = `Subject: not a bounce\r\n\r\n${'x'.repeat(400_000)}\r\n`;

    const response = await inbound(large);
    const { id } = await response.json() as { id: string };
    const kept = await pipeline.get(`/v1/reports/${id}`).then((r) => r.json()) as {
      raw: string; rawBytes: number; rawTruncated: boolean;
    };

    expect(response.status).toBe(202);
    expect(kept).toMatchObject({ rawBytes: large.length, rawTruncated: true });
    expect(kept.raw).toBe(large.slice(0, 300_000));
  });

  it('keeps a report naming thousands of recipients, or binary noise, within one item',
    async () => {
      const blocks = Array.from({ length: 5_000 }, (_, n) =>
        `Final-Recipient: rfc822; r${n}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n`);
      const dsn = [
        'From: MAILER-DAEMON@relay.example.net', 'To: orders@example.com',
        'Subject: Undelivered Mail', 'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '',
        '--b', 'Content-Type: text/plain', '', 'failed', '--b',
        'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; relay.example.net',
        '', blocks.join('\r\n'), '--b--', '',
      ].join('\r\n');
      const noise = Buffer.alloc(400_000, 0xff);

      const many = await inbound(dsn);
      const manyKept = await pipeline.get(`/v1/reports/${(await many.json() as { id: string }).id}`)
        .then((r) => r.json()) as { recipients: unknown[]; recipientsOmitted: number };
      const binary = await fetch(`${pipeline.apiUrl}/v1/inbound/dsn`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INBOUND_KEY}`, 'content-type': 'message/rfc822' },
        body: noise,
      });
      const binaryKept = await pipeline.get(
        `/v1/reports/${(await binary.json() as { id: string }).id}`,
      ).then((r) => r.json()) as { rawTruncated: boolean; rawBytes: number };

      expect(many.status).toBe(202);
      expect(manyKept.recipients).toHaveLength(100);
      expect(manyKept.recipientsOmitted).toBe(4_900);
      expect(binary.status).toBe(202);
      expect(binaryKept).toMatchObject({ rawTruncated: true, rawBytes: 400_000 });
    });

  it('guards the intake with its own key and content type', async () => {
    const wrongKey = await inbound('x', { authorization: 'Bearer wrong-key-0123456789' });
    const apiKey = await inbound('x', { authorization: `Bearer ${pipeline.apiKey}` });
    const wrongType = await inbound('x', { 'content-type': 'text/plain' });

    expect(wrongKey.status).toBe(401);
    expect(apiKey.status).toBe(401);
    expect(wrongType.status).toBe(415);
  });

  it('leaves an address listed by hand as it was when a bounce for it arrives', async () => {
    const address = 'listed.by.hand@example.org';
    const delivered = await deliver(address);
    const listed = await fetch(
      `${pipeline.apiUrl}/v1/suppressions/${encodeURIComponent(address)}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${pipeline.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ detail: 'asked to be removed' }),
      },
    );
    const before = await listed.json() as { createdAt: string };

    const report = await inbound(forEmail(fixture('postfix-user-unknown-alias.eml'),
      String(delivered.messageId)).replace(/a\.lima@example\.org/g, address));
    const after = await (await suppression(address)).json() as Record<string, unknown>;

    expect(report.status).toBe(202);
    expect(after).toMatchObject({ reason: 'manual', createdAt: before.createdAt });
  });

  it('suppresses after a 550 at RCPT and a DSN, then skips the relay for both', async () => {
    relay.rcptReply = (address) => (address === 'gone@example.org'
      ? { code: 550, message: '5.1.1 <gone@example.org>: Recipient address rejected' }
      : undefined);
    const refused = await pipeline.send({
      from: 'orders@example.com', to: 'gone@example.org', subject: 'One', text: 'x',
    });
    const refusedId = (await refused.json() as { id: string }).id;
    await pipeline.waitFor(refusedId, (e) => e.status === 'bounced');
    relay.rcptReply = () => undefined;
    const accepted = await deliver('moved.on@example.org');
    await inbound(forEmail(fixture('postfix-user-unknown-alias.eml'), String(accepted.messageId))
      .replace(/a\.lima@example\.org/g, 'moved.on@example.org'));
    const rcptsBefore = relay.log.rcpts.length;

    const third = await pipeline.send({
      from: 'orders@example.com', to: ['gone@EXAMPLE.org', 'moved.on@example.org'],
      subject: 'Three', text: 'x',
    });
    const thirdId = (await third.json() as { id: string }).id;
    const email = await pipeline.waitFor(thirdId, (e) => e.status === 'suppressed');

    expect((await suppression('gone@example.org')).status).toBe(200);
    expect((await suppression('moved.on@example.org')).status).toBe(200);
    expect(email.recipients.map((r) => r.status)).toEqual(['suppressed', 'suppressed']);
    expect(email.events.map((e) => e.type)).toEqual(['queued', 'suppressed']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(relay.log.rcpts.length).toBe(rcptsBefore);
  });
});
