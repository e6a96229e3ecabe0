/**
 * Bounce intake by SMTP (local mode): the same intake as POST /v1/inbound/dsn, with the
 * same size limit, held even when the client does not announce SIZE.
 */
import { connect, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_BODY_BYTES } from '../../../functions/api/app.js';
import { buildApiDeps } from '../../../functions/api/build-api-deps.js';
import { startInboundSmtp } from '../../../functions/api/inbound-smtp.js';
import { intakeDeps } from '../../../functions/api/routes/inbound.js';
import { type Pipeline, startPipeline } from '../../support/pipeline.js';

/** A bare SMTP client: one command, one reply (single-line replies are enough here). */
class Conversation {
  private buffered = '';
  private waiting: Array<(line: string) => void> = [];

  constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.buffered += data;
      for (let end = this.buffered.indexOf('\r\n'); end >= 0;
        end = this.buffered.indexOf('\r\n')) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 2);
        // Continuation lines of a multi-line reply (code followed by '-') are skipped.
        if (line[3] !== '-') this.waiting.shift()?.(line);
      }
    });
  }

  static async open(port: number): Promise<Conversation> {
    const socket = connect(port, '127.0.0.1');
    const conversation = new Conversation(socket);
    await conversation.reply();
    return conversation;
  }

  reply(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async send(text: string): Promise<string> {
    const replied = this.reply();
    this.socket.write(text);
    return replied;
  }

  close(): void {
    this.socket.destroy();
  }
}

async function deliver(port: number, body: string): Promise<string> {
  const smtp = await Conversation.open(port);
  try {
    await smtp.send('EHLO reporter.example.org\r\n');
    await smtp.send('MAIL FROM:<>\r\n');
    await smtp.send('RCPT TO:<bounces@mailroom.localhost>\r\n');
    await smtp.send('DATA\r\n');
    return await smtp.send(`${body}\r\n.\r\n`);
  } finally {
    smtp.close();
  }
}

describe('bounce intake by SMTP', () => {
  let pipeline: Pipeline;
  let intake: { port: number; close(): Promise<void> };

  beforeAll(async () => {
    pipeline = await startPipeline({ worker: false });
    intake = await startInboundSmtp(0, intakeDeps(buildApiDeps(pipeline.config)));
  });
  afterAll(async () => {
    await intake?.close();
    await pipeline?.stop();
  });

  it('keeps what it receives as a report and names it in the reply', async () => {
    const reply = await deliver(intake.port, 'Subject: not a bounce\r\n\r\nhello');
    const id = /Report (rp_[0-9a-z]+)/.exec(reply)?.[1];
    const kept = await pipeline.get(`/v1/reports/${id}`);

    expect(reply).toMatch(/^250 /);
    expect(kept.status).toBe(200);
    expect(await kept.json()).toMatchObject({ status: 'unparsed', raw: expect.any(String) });
  });

  it('refuses a message over the limit that announced no SIZE, with 552', async () => {
    const line = `${'x'.repeat(998)}\r\n`;
    const lines = Math.ceil(MAX_BODY_BYTES / line.length) + 10;
    const body = `Subject: huge\r\n\r\n${line.repeat(lines)}`;

    const reply = await deliver(intake.port, body);

    expect(reply).toMatch(/^552 5\.3\.4 /);
  });
});
