import { createHash, randomBytes } from 'node:crypto';

import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';

const PDF =
  'JVBERi0xLjQKMSAwIG9iajw8L1R5cGUvQ2F0YWxvZz4+ZW5kb2JqCnRyYWlsZXI8PC9Sb290IDEgMCBSPj4KJSVFT0YK';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the send pipeline against a real STARTTLS + AUTH relay', () => {
  let relay: RecordingRelay;
  let pipeline: Pipeline;

  beforeAll(async () => {
    relay = await startRecordingRelay();
    pipeline = await startPipeline({ smtpUrl: relay.url, caPem: relay.caPem });
  });
  afterEach(() => {
    relay.rcptReply = () => undefined;
  });
  afterAll(async () => {
    await pipeline?.stop();
    await relay?.close();
  });

  it('delivers over STARTTLS, then AUTH, with the right envelope, ' +
    'headers, parts and bytes', async () => {
    const response = await pipeline.send({
      from: 'Example Shop <orders@example.com>',
      to: ['Ana Lima <ana.lima@example.org>'],
      cc: 'jun.park@example.org',
      bcc: ['auditor@example.net', 'archive@example.com'],
      replyTo: 'support@example.com',
      subject: 'Your order 1042',
      text: 'Hello Ana,\nyour order shipped.',
      html: '<p>Hello Ana, your order <b>shipped</b>.</p>',
      headers: { 'X-Campaign': 'autumn' },
      attachments: [{ filename: 'invoice.pdf', content: PDF, contentType: 'application/pdf' }],
      tags: { kind: 'order' },
    });
    const { id, status } = await response.json() as { id: string; status: string };
    const email = await pipeline.waitFor(id, (e) => e.status === 'sent');

    expect(response.status).toBe(202);
    expect(status).toBe('queued');
    expect(relay.log.auths[0]).toEqual({ secure: true, user: relay.user });
    const delivered = relay.log.messages.find((m) => m.raw.toString().includes(id));
    expect(delivered?.secureAtAuth).toBe(true);
    expect(delivered?.mailFrom).toBe('orders@example.com');
    expect(delivered?.rcptTo.sort()).toEqual([
      'ana.lima@example.org', 'archive@example.com', 'auditor@example.net', 'jun.park@example.org',
    ]);

    const raw = delivered?.raw ?? Buffer.alloc(0);
    expect(raw.toString()).not.toMatch(/^bcc:/im);
    expect(raw.toString()).not.toContain('auditor@example.net');
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Your order 1042');
    expect(parsed.messageId).toBe(email.messageId);
    expect(parsed.from?.value).toEqual([{ address: 'orders@example.com', name: 'Example Shop' }]);
    expect(parsed.headers.get('x-campaign')).toBe('autumn');
    expect(parsed.text?.trim()).toBe('Hello Ana,\nyour order shipped.');
    expect(parsed.html).toContain('<b>shipped</b>');
    expect(sha(parsed.attachments[0]?.content ?? Buffer.alloc(0)))
      .toBe(sha(Buffer.from(PDF, 'base64')));

    expect(email.recipients.every((r) => r.status === 'sent')).toBe(true);
    expect(email.recipients[0]).toMatchObject({
      replyCode: 250, queueId: delivered?.queueId, reply: expect.stringMatching(/^250 /),
    });
    expect(email.events.map((e) => e.type)).toEqual(['queued', 'attempt', 'sent']);
  });

  it('keeps a 3 MB attachment outside the status item and delivers it byte for byte',
    async () => {
      // Random bytes do not compress, and 3 MB is many content chunks of the table.
      const attachment = randomBytes(3 * 1024 * 1024);
      const response = await pipeline.send({
        from: 'orders@example.com',
        to: 'ana.lima@example.org',
        subject: 'Large attachment',
        text: 'See attached.',
        attachments: [{ filename: 'scan.bin', content: attachment.toString('base64') }],
      });
      const { id } = await response.json() as { id: string };
      await pipeline.waitFor(id, (e) => e.status === 'sent', 30_000);

      expect(response.status).toBe(202);
      const delivered = relay.log.messages.find((m) => m.raw.toString().includes(id));
      const parsed = await simpleParser(delivered?.raw ?? Buffer.alloc(0));
      expect(sha(parsed.attachments[0]?.content ?? Buffer.alloc(0))).toBe(sha(attachment));
    });

  it('bounces a recipient the relay refuses with 550, ' +
    'keeping code and enhanced status', async () => {
    relay.rcptReply = (address) => (address === 'nobody@example.org'
      ? { code: 550, message: '5.1.1 <nobody@example.org>: Recipient address rejected' }
      : undefined);

    const response = await pipeline.send({
      from: 'orders@example.com', to: ['nobody@example.org', 'ana.lima@example.org'],
      subject: 'Mixed', text: 'x',
    });
    const { id } = await response.json() as { id: string };
    const email = await pipeline.waitFor(id, (e) => e.status === 'partially_sent');

    const nobody = email.recipients.find((r) => r.address === 'nobody@example.org');
    expect(nobody).toMatchObject({ status: 'bounced', replyCode: 550, enhancedStatus: '5.1.1' });
    expect(email.recipients.find((r) => r.address === 'ana.lima@example.org')?.status).toBe('sent');
    expect(email.events.map((e) => e.type)).toContain('bounced');
  });

  it('defers on 451 and sends on the retry', async () => {
    let refusals = 0;
    relay.rcptReply = (address) => (address === 'grey@example.org' && refusals++ === 0
      ? { code: 451, message: '4.7.1 Greylisted, please try again' }
      : undefined);

    const response = await pipeline.send({
      from: 'orders@example.com', to: 'grey@example.org', subject: 'Grey', text: 'x',
    });
    const { id } = await response.json() as { id: string };
    const deferred = await pipeline.waitFor(id,
      (e) => e.events.some((ev) => ev.type === 'deferred'));
    const sent = await pipeline.waitFor(id, (e) => e.status === 'sent');

    expect(deferred.events.find((e) => e.type === 'deferred')?.detail).toMatchObject({
      replyCode: 451, enhancedStatus: '4.7.1',
    });
    expect(sent.attempts).toBe(2);
    expect(relay.log.messages.filter((m) => m.rcptTo.includes('grey@example.org'))).toHaveLength(1);
  });
});

describe('a relay that does not offer STARTTLS', () => {
  it('gets neither AUTH nor the message, and the status says why', async () => {
    const relay = await startRecordingRelay({ hideStartTls: true });
    const pipeline = await startPipeline({ smtpUrl: relay.url, caPem: relay.caPem });

    try {
      const response = await pipeline.send({
        from: 'orders@example.com', to: 'ana.lima@example.org', subject: 'TLS', text: 'x',
      });
      const { id } = await response.json() as { id: string };
      const email = await pipeline.waitFor(id, (e) => e.status === 'deferred');

      expect(relay.log.auths).toEqual([]);
      expect(relay.log.messages).toEqual([]);
      expect(email.reason).toBe('relay_tls_failed');
      expect(String(email.recipients[0]?.reply)).toMatch(/STARTTLS/);
    } finally {
      await pipeline.stop();
      await relay.close();
    }
  });
});
