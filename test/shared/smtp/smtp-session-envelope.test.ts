import { describe, expect, it, onTestFinished } from 'vitest';
import { SmtpError } from '../../../shared/smtp/smtp-error.js';
import { SmtpSession, toDataBlock } from '../../../shared/smtp/smtp-session.js';
import {
  relayEndpoint,
  startScriptedRelay,
  TEST_TIMEOUTS,
  type ScriptedRelay,
  type ScriptStep,
} from '../../support/scripted-relay.js';

async function relayWith(...script: ScriptStep[]) {
  const relay = await startScriptedRelay({ sessions: [script] });
  onTestFinished(() => relay.close());
  return relay;
}

async function open(relay: ScriptedRelay) {
  const session = await SmtpSession.open(relayEndpoint(relay), { timeouts: TEST_TIMEOUTS });
  onTestFinished(() => session.close());
  return session;
}

function envelopeLines(relay: ScriptedRelay): string[] {
  const commands = relay.sessions[0]?.commands ?? [];
  return commands.map((c) => c.line).filter((line) => /^(MAIL|RCPT)/.test(line));
}

function ehloAfterTls(...capabilities: string[]): ScriptStep[] {
  return [
    { on: 'EHLO', reply: ['250-relay.example.net', '250 STARTTLS'] },
    { on: 'STARTTLS', reply: '220 2.0.0 Ready to start TLS' },
    {
      on: 'EHLO',
      reply: ['250-relay.example.net', ...capabilities.map((c) => `250-${c}`), '250 AUTH PLAIN'],
    },
  ];
}

const BARE_LF = /(?<!\r)\n/;
const LONE_CR = /\r(?!\n)/;

describe('toDataBlock', () => {
  it('turns bare LF and lone CR into CRLF and doubles a leading dot', () => {
    const input = Buffer.from('Subject: x\nline\r\n.hidden\rlone\n..two\r\n.\r\nend');

    const block = toDataBlock(input).toString();

    expect(block).toBe('Subject: x\r\nline\r\n..hidden\r\nlone\r\n...two\r\n..\r\nend');
  });

  it('leaves a clean CRLF message untouched', () => {
    const input = Buffer.from('Subject: ok\r\n\r\nline one\r\nline. two\r\n');

    expect(toDataBlock(input).equals(input)).toBe(true);
  });

  it('doubles a dot on the very first line', () => {
    expect(toDataBlock(Buffer.from('.first\r\n')).toString()).toBe('..first\r\n');
  });
});

describe('SmtpSession message data', () => {
  it('puts only CRLF lines and dot-stuffed lines on the wire', async () => {
    const relay = await relayWith();
    const session = await open(relay);
    const message = Buffer.from('Subject: dots\n\n.\nline\r.leading\r\n\r\n..\r\nlast\n');

    await session.send({ from: 'a@example.com', to: ['b@example.org'], size: 64 }, message);

    const raw = relay.transactions[0]?.raw.toString() ?? '';
    expect(raw).toBe('Subject: dots\r\n\r\n..\r\nline\r\n..leading\r\n\r\n...\r\nlast\r\n');
    expect(raw).not.toMatch(BARE_LF);
    expect(raw).not.toMatch(LONE_CR);
  });

  it('adds CRLF before the final dot when the message does not end with one', async () => {
    const relay = await relayWith();
    const session = await open(relay);

    await session.send(
      { from: 'a@example.com', to: ['b@example.org'], size: 20 },
      Buffer.from('Subject: x\r\n\r\nno newline'),
    );

    expect(relay.transactions[0]?.raw.toString()).toBe('Subject: x\r\n\r\nno newline\r\n');
    expect(relay.transactions[0]?.completed).toBe(true);
  });

  it('announces SIZE and declares 8-bit content with BODY=8BITMIME', async () => {
    const relay = await relayWith();
    const session = await open(relay);
    const message = Buffer.from('Subject: caf\u00e9\r\n\r\nna\u00efve\r\n');

    await session.send({ from: 'a@example.com', to: ['b@example.org'], size: 31 }, message);

    expect(envelopeLines(relay)[0]).toBe('MAIL FROM:<a@example.com> SIZE=31 BODY=8BITMIME');
  });

  it('refuses locally, before MAIL, a message larger than the advertised SIZE', async () => {
    const relay = await relayWith(...ehloAfterTls('SIZE 1000'));
    const session = await open(relay);

    const error = await session
      .send({ from: 'a@example.com', to: ['b@example.org'], size: 1001 }, Buffer.alloc(1001))
      .catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(SmtpError);
    expect(error).toMatchObject({ phase: 'mail', kind: 'config' });
    expect(envelopeLines(relay)).toEqual([]);
    expect(session.usable).toBe(true);
  });
});

describe('SmtpSession international addresses', () => {
  it('without SMTPUTF8 sends an IDN domain as A-label, fails a UTF-8 local part', async () => {
    const relay = await relayWith(
      ...ehloAfterTls('SIZE 10485760', '8BITMIME'),
      { on: 'RCPT TO:<jorg@xn--bcher-kva.example>', reply: '250 2.1.5 Ok' },
      { on: 'RCPT TO', reply: '553 5.6.7 Non-ASCII addresses not permitted for that recipient' },
    );
    const session = await open(relay);
    const to = ['jorg@b\u00fccher.example', 'jos\u00e9.m\u00fcller@example.org'];

    const envelope = { from: 'orders@example.com', to, size: 10 };

    const result = await session.send(envelope, Buffer.from('x\r\n'));

    expect(envelopeLines(relay)).toEqual([
      'MAIL FROM:<orders@example.com> SIZE=10',
      'RCPT TO:<jorg@xn--bcher-kva.example>',
    ]);
    expect(result.recipients[0]).toMatchObject({ accepted: true });
    expect(result.recipients[1]).toMatchObject({
      address: 'jos\u00e9.m\u00fcller@example.org',
      accepted: false,
      local: true,
      reply: { code: 553, enhancedStatus: '5.6.7' },
    });
    expect(result.recipients[1]?.reply.text).toContain('SMTPUTF8');
    expect(relay.transactions[0]?.recipients).toEqual(['jorg@xn--bcher-kva.example']);
  });

  it('requests SMTPUTF8 and sends UTF-8 addresses unchanged when the relay offers it', async () => {
    const relay = await relayWith(...ehloAfterTls('8BITMIME', 'SMTPUTF8'));
    const session = await open(relay);
    const to = ['jorg@b\u00fccher.example', 'jos\u00e9.m\u00fcller@example.org'];

    await session.send({ from: 'orders@example.com', to, size: 3 }, Buffer.from('x\r\n'));

    expect(envelopeLines(relay)).toEqual([
      'MAIL FROM:<orders@example.com> SMTPUTF8',
      'RCPT TO:<jorg@b\u00fccher.example>',
      'RCPT TO:<jos\u00e9.m\u00fcller@example.org>',
    ]);
    expect(relay.transactions[0]?.recipients).toHaveLength(2);
  });

  it('refuses a UTF-8 sender local part before MAIL when the relay lacks SMTPUTF8', async () => {
    const relay = await relayWith();
    const session = await open(relay);

    const error = await session
      .send({ from: 'b\u00e9a@example.com', to: ['b@example.org'], size: 3 }, Buffer.from('x\r\n'))
      .catch((reason: unknown) => reason);

    expect(error).toMatchObject({ phase: 'mail', kind: 'config' });
    expect(envelopeLines(relay)).toEqual([]);
  });

  it('never puts an address with a line break on the wire', async () => {
    const relay = await relayWith();
    const session = await open(relay);
    const smuggled = 'a@example.org>\r\nRCPT TO:<victim@example.net';

    const result = await session.send(
      { from: 'orders@example.com', to: ['ok@example.org', smuggled], size: 3 },
      Buffer.from('x\r\n'),
    );

    expect(result.recipients[1]).toMatchObject({
      accepted: false,
      local: true,
      reply: { code: 553 },
    });
    expect(envelopeLines(relay)).toEqual([
      'MAIL FROM:<orders@example.com> SIZE=3',
      'RCPT TO:<ok@example.org>',
    ]);
  });
});
