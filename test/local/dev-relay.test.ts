import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listDevMessages, readDevMessage } from '../../local/dev-mailbox.js';
import { startDevRelay, type DevRelay } from '../../local/dev-relay.js';

const USER = 'mailroom';
const PASS = 'correct-horse-battery';

describe('development relay', () => {
  let dir: string;
  let relay: DevRelay;
  let caPem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-dev-relay-'));
    relay = await startDevRelay({ dir, port: 0, user: USER, pass: PASS });
    caPem = await readFile(relay.caFile, 'utf8');
  });

  afterAll(async () => {
    await relay?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function transport(pass = PASS) {
    return nodemailer.createTransport({
      host: relay.host,
      port: relay.port,
      secure: false,
      requireTLS: true,
      // Full verification against the relay's own CA: nothing is switched off.
      tls: { ca: [caPem] },
      auth: { user: USER, pass },
    });
  }

  it('accepts mail over verified STARTTLS and stores it durably', async () => {
    const info = await transport().sendMail({
      from: 'Mailroom <hello@mailroom.localhost>',
      to: ['you@example.com', 'them@example.org'],
      subject: 'Grüße aus dem Postraum',
      text: 'It works.\r\n.leading dot survives\r\n',
    });

    // smtp-server fixes the enhanced code of an accepted DATA at 2.6.0.
    const queued = /^250 2\.6\.0 Ok: queued as (\S+)$/.exec(info.response);
    expect(queued).not.toBeNull();
    const id = queued![1]!;

    const record = JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8'));
    expect(record.envelope).toEqual({
      mailFrom: 'hello@mailroom.localhost',
      rcptTo: ['you@example.com', 'them@example.org'],
    });
    const raw = await readFile(join(dir, `${id}.eml`));
    expect(record.size).toBe(raw.length);
    expect(Date.parse(record.receivedAt)).not.toBeNaN();
    // Stored as the message, not as the wire form: the transparency dot is removed.
    expect(raw.toString()).toContain('\r\n.leading dot survives');
    expect(raw.toString()).not.toContain('\r\n..leading');

    const listed = await listDevMessages(dir);
    expect(listed[0]).toEqual({
      id,
      receivedAt: record.receivedAt,
      from: 'hello@mailroom.localhost',
      to: ['you@example.com', 'them@example.org'],
      size: raw.length,
      subject: 'Grüße aus dem Postraum',
    });
    expect(await readDevMessage(dir, id)).toEqual(raw);
  });

  it('lists the newest message first', async () => {
    await transport().sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'first' });
    await transport().sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'second' });

    const subjects = (await listDevMessages(dir)).map((message) => message.subject);
    expect(subjects.indexOf('second')).toBeLessThan(subjects.indexOf('first'));
  });

  it('refuses AUTH before STARTTLS and MAIL before AUTH', async () => {
    const session = await SmtpDialogue.open(relay.port);
    try {
      expect(session.greeting).toMatch(/^220 /);
      expect(await session.send('EHLO client.example')).toMatch(/STARTTLS/);

      const credentials = Buffer.from(`\0${USER}\0${PASS}`).toString('base64');
      expect(await session.send(`AUTH PLAIN ${credentials}`)).toMatch(/^538 5\.7\.0 /);
      expect(await session.send('MAIL FROM:<a@example.com>')).toMatch(/^530 5\.7\.0 /);
    } finally {
      session.close();
    }
  });

  it('refuses a wrong password', async () => {
    const sending = transport('wrong-password').sendMail({
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 'nope',
    });

    await expect(sending).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
  });

  it('refuses a message over 10 MB and stores nothing', async () => {
    const before = (await listDevMessages(dir)).length;
    const sending = transport().sendMail({
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 'too big',
      text: 'x'.repeat(10 * 1024 * 1024 + 1),
    });

    await expect(sending).rejects.toMatchObject({ responseCode: 552 });
    expect(await listDevMessages(dir)).toHaveLength(before);
  });

  it('reads no file outside the mailbox', async () => {
    expect(await readDevMessage(dir, '../ca')).toBeUndefined();
    expect(await readDevMessage(dir, 'ca')).toBeUndefined();
    expect(await readDevMessage(dir, '20260101T000000000Z-000000000000/../x')).toBeUndefined();
  });

  it('lists an absent mailbox as empty', async () => {
    expect(await listDevMessages(join(dir, 'missing'))).toEqual([]);
  });
});

/** A plain-text SMTP client that shows each reply exactly as the server wrote it. */
class SmtpDialogue {
  private buffer = '';
  private waiting: ((reply: string) => void) | undefined;

  private constructor(private readonly socket: Socket, public greeting = '') {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
  }

  static async open(port: number): Promise<SmtpDialogue> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const dialogue = new SmtpDialogue(socket);
    dialogue.greeting = await dialogue.nextReply();
    return dialogue;
  }

  send(command: string): Promise<string> {
    const reply = this.nextReply();
    this.socket.write(`${command}\r\n`);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }

  private nextReply(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.deliver();
    });
  }

  /** A reply ends with a line whose code is followed by a space (RFC 5321 section 4.2.1). */
  private deliver(): void {
    const end = /^\d{3} .*\r\n/m.exec(this.buffer);
    if (!end || !this.waiting) return;

    const length = end.index + end[0].length;
    const reply = this.buffer.slice(0, length).trimEnd();
    this.buffer = this.buffer.slice(length);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve(reply);
  }
}
