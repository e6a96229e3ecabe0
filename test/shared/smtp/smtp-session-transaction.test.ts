import { describe, expect, it, onTestFinished } from 'vitest';
import { classifyReply, retryAfterHint } from '../../../shared/smtp/classify.js';
import { formatReply } from '../../../shared/smtp/reply.js';
import { SmtpError } from '../../../shared/smtp/smtp-error.js';
import { SmtpSession, type SmtpTimeouts } from '../../../shared/smtp/smtp-session.js';
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

async function open(relay: ScriptedRelay, timeouts: Partial<SmtpTimeouts> = {}) {
  const session = await SmtpSession.open(relayEndpoint(relay), {
    timeouts: { ...TEST_TIMEOUTS, ...timeouts },
  });
  onTestFinished(() => session.close());
  return session;
}

async function sendFailure(promise: Promise<unknown>): Promise<SmtpError> {
  const error = await promise.then(
    () => expect.unreachable('the send should fail'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SmtpError);
  return error as SmtpError;
}

function sentVerbs(relay: ScriptedRelay, session = 0): string[] {
  const commands = relay.sessions[session]?.commands ?? [];
  const afterAuth = commands.findIndex((c) => c.line.startsWith('AUTH')) + 1;
  return commands.slice(afterAuth).map((c) => c.line.split(' ', 1)[0] ?? '');
}

function waitUntil(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, 5));
    check();
  });
}

const MESSAGE = Buffer.from('Subject: Receipt 3310\r\n\r\nThanks for your payment.\r\n');

function envelope(...to: string[]) {
  return { from: 'orders@example.com', to, size: MESSAGE.length };
}

describe('SmtpSession transaction', () => {
  it('sends DATA to the accepted recipients and keeps every RCPT reply', async () => {
    const relay = await relayWith({
      on: 'RCPT TO:<gone@example.org>',
      reply: '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown',
    });
    const session = await open(relay);

    const result = await session.send(envelope('ana@example.org', 'gone@example.org'), MESSAGE);

    expect(result.recipients.map((r) => [r.address, r.accepted, formatReply(r.reply)])).toEqual([
      ['ana@example.org', true, '250 2.1.5 Ok'],
      [
        'gone@example.org',
        false,
        '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown',
      ],
    ]);
    expect(result.finalDotWritten).toBe(true);
    expect(result.dataReply?.code).toBe(250);
    expect(relay.transactions).toHaveLength(1);
    expect(relay.transactions[0]?.recipients).toEqual(['ana@example.org']);
  });

  it('keeps 452 "too many recipients" replies as transient for a later transaction', async () => {
    const relay = await relayWith(
      { on: 'RCPT TO', reply: '250 2.1.5 Ok' },
      { on: 'RCPT TO', reply: '452 4.5.3 Error: too many recipients' },
    );
    const session = await open(relay);

    const result = await session.send(envelope('a@example.org', 'b@example.org'), MESSAGE);

    const limited = result.recipients[1];
    expect(limited).toMatchObject({ address: 'b@example.org', accepted: false });
    expect(limited && classifyReply(limited.reply, 'rcpt')).toBe('transient');
    expect(relay.transactions[0]?.recipients).toEqual(['a@example.org']);
  });

  it('sends no DATA and resets when the only recipient is greylisted with 451', async () => {
    const relay = await relayWith({
      on: 'RCPT TO',
      reply:
        '451 4.7.1 <jun.park@example.net>: Recipient address rejected: ' +
        'greylisted for 300 seconds, come back later',
    });
    const session = await open(relay);

    const result = await session.send(envelope('jun.park@example.net'), MESSAGE);

    const reply = result.recipients[0]?.reply;
    expect(reply && classifyReply(reply, 'rcpt')).toBe('transient');
    expect(reply && retryAfterHint(reply)).toBe(300);
    expect(result.dataReply).toBeUndefined();
    expect(result.finalDotWritten).toBe(false);
    expect(sentVerbs(relay)).toEqual(['MAIL', 'RCPT', 'RSET']);
    expect(session.usable).toBe(true);
  });

  it('throws a MAIL reply error after RSET when the relay refuses the sender', async () => {
    const relay = await relayWith({ on: 'MAIL FROM', reply: '550 5.7.1 Sender rejected' });
    const session = await open(relay);

    const error = await sendFailure(session.send(envelope('a@example.org'), MESSAGE));

    expect(error).toMatchObject({ phase: 'mail', kind: 'reply', finalDotWritten: false });
    expect(error.reply?.code).toBe(550);
    expect(sentVerbs(relay)).toEqual(['MAIL', 'RSET']);
    expect(session.usable).toBe(true);
  });

  it('returns a refused DATA in dataReply without writing the message, then resets', async () => {
    const relay = await relayWith({ on: 'DATA', reply: '451 4.3.0 Try again later' });
    const session = await open(relay);

    const result = await session.send(envelope('a@example.org'), MESSAGE);

    expect(result.dataReply).toMatchObject({ code: 451, enhancedStatus: '4.3.0' });
    expect(result.finalDotWritten).toBe(false);
    expect(sentVerbs(relay)).toEqual(['MAIL', 'RCPT', 'DATA', 'RSET']);
  });

  it.each([
    ['554 5.7.1 Message rejected as spam', 554, 'permanent'],
    ['451 4.3.0 Temporary queue failure', 451, 'transient'],
  ])('returns "%s" after the final dot with finalDotWritten true', async (wire, code, kind) => {
    const relay = await relayWith({ on: 'end-of-data', reply: wire });
    const session = await open(relay);

    const result = await session.send(envelope('a@example.org'), MESSAGE);

    expect(result.finalDotWritten).toBe(true);
    expect(result.dataReply?.code).toBe(code);
    expect(result.dataReply && classifyReply(result.dataReply, 'end-of-data')).toBe(kind);
    expect(result.queueId).toBeUndefined();
    expect(session.usable).toBe(true);
  });

  it('returns a multi-line 421 after the final dot and stops using the connection', async () => {
    const relay = await relayWith({
      on: 'end-of-data',
      reply: [
        '421-4.7.28 [198.51.100.7] Sending rate from your domain is unusually high;',
        '421-4.7.28 mail from it is being throttled for now.',
        '421 4.7.28 Try again later. - relay',
      ],
      then: 'close',
    });
    const session = await open(relay);

    const result = await session.send(envelope('a@example.org'), MESSAGE);

    expect(result.finalDotWritten).toBe(true);
    expect(result.dataReply).toMatchObject({ code: 421, enhancedStatus: '4.7.28' });
    expect(result.dataReply?.text).toContain('mail from it is being throttled for now.');
    expect(session.usable).toBe(false);
  });

  it('writes nothing, not even QUIT, after a 421', async () => {
    const relay = await relayWith({ on: 'end-of-data', reply: '421 4.7.0 Try again later' });
    const session = await open(relay);

    await session.send(envelope('a@example.org'), MESSAGE);
    await session.quit();

    expect(sentVerbs(relay)).toEqual(['MAIL', 'RCPT', 'DATA']);
  });

  it('reports finalDotWritten false when the relay drops the connection during DATA', async () => {
    const relay = await relayWith({ on: 'DATA', reply: '354 go ahead', then: 'close' });
    const session = await open(relay);

    const error = await sendFailure(
      session.send(envelope('a@example.org'), MESSAGE, {
        beforeFinalDot: () => waitUntil(() => !session.usable),
      }),
    );

    expect(error).toMatchObject({ phase: 'data', kind: 'connection', finalDotWritten: false });
    expect(relay.transactions.filter((t) => t.completed)).toEqual([]);
  });

  it('reports finalDotWritten false when a large message is cut off mid-DATA', async () => {
    const relay = await relayWith({ on: 'DATA', reply: '354 go ahead', then: 'close' });
    const session = await open(relay);
    const large = Buffer.alloc(8 * 1024 * 1024, 'x\r\n');

    const error = await sendFailure(session.send(envelope('a@example.org'), large));

    expect(error).toMatchObject({ phase: 'data', kind: 'connection', finalDotWritten: false });
  });

  it('times out with finalDotWritten true when no reply follows the final dot', async () => {
    const relay = await relayWith({ on: 'end-of-data', delayMs: 1_000 });
    const session = await open(relay, { finalDotMs: 150 });

    const error = await sendFailure(session.send(envelope('a@example.org'), MESSAGE));

    expect(error).toMatchObject({ phase: 'end-of-data', kind: 'timeout', finalDotWritten: true });
    expect(relay.transactions[0]?.completed).toBe(true);
    expect(session.usable).toBe(false);
  });

  it('reports finalDotWritten true when the relay drops the connection after the dot', async () => {
    const relay = await relayWith({ on: 'end-of-data', action: 'close' });
    const session = await open(relay);

    const error = await sendFailure(session.send(envelope('a@example.org'), MESSAGE));

    expect(error).toMatchObject({
      phase: 'end-of-data',
      kind: 'connection',
      finalDotWritten: true,
    });
  });

  it('waits for a slow end-of-data reply with the final-dot timeout', async () => {
    const relay = await relayWith({
      on: 'end-of-data',
      action: { delayMs: 300 },
      reply: '250 2.0.0 Ok: queued as 7QX1',
    });
    const session = await open(relay, { commandMs: 100, finalDotMs: 2_000 });

    const result = await session.send(envelope('a@example.org'), MESSAGE);

    expect(result.queueId).toBe('7QX1');
    expect(relay.transactions).toHaveLength(1);
  });

  it('abandons the transaction without the final dot when beforeFinalDot throws', async () => {
    const relay = await relayWith();
    const session = await open(relay);
    const refusal = new Error('message record changed');

    const error = await sendFailure(
      session.send(envelope('a@example.org'), MESSAGE, {
        beforeFinalDot: () => Promise.reject(refusal),
      }),
    );

    expect(error).toMatchObject({ phase: 'data', finalDotWritten: false, cause: refusal });
    expect(session.usable).toBe(false);
    await waitUntil(() => relay.sessions[0]?.closed === true);
    expect(relay.transactions.filter((t) => t.completed)).toEqual([]);
  });

  it.each([
    ['250 2.0.0 Ok: queued as 4Xyz123', '4Xyz123'],
    ['250 OK id=1abc-xyz', '1abc-xyz'],
  ])('takes the queue id from "%s"', async (wire, queueId) => {
    const relay = await relayWith({ on: 'end-of-data', reply: wire });
    const session = await open(relay);

    const result = await session.send(envelope('a@example.org'), MESSAGE);

    expect(result.queueId).toBe(queueId);
  });

  it('stops using the connection after an unsolicited 421', async () => {
    const relay = await relayWith({
      on: 'end-of-data',
      reply: '250 2.0.0 Ok: queued as 1',
      inject: '421 4.4.2 relay.example.net Error: timeout exceeded\r\n',
    });
    const session = await open(relay);

    await session.send(envelope('a@example.org'), MESSAGE);
    await waitUntil(() => !session.usable);

    const error = await sendFailure(session.send(envelope('b@example.org'), MESSAGE));
    expect(error).toMatchObject({ phase: 'mail', kind: 'connection' });
    expect(sentVerbs(relay).filter((verb) => verb === 'MAIL')).toHaveLength(1);
  });

  it('throws at RCPT on 421 without trying the other recipients', async () => {
    const relay = await relayWith({ on: 'RCPT', reply: '421 4.7.0 Closing connection' });
    const session = await open(relay);

    const sending = session.send(envelope('a@example.org', 'b@example.org'), MESSAGE);

    const error = await sendFailure(sending);

    expect(error).toMatchObject({ phase: 'rcpt', kind: 'reply', reply: { code: 421 } });
    expect(sentVerbs(relay)).toEqual(['MAIL', 'RCPT']);
    expect(session.usable).toBe(false);
  });
});
