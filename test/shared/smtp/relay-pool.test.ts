import { describe, expect, it, onTestFinished } from 'vitest';
import { RelayPool, type RelayPoolOptions } from '../../../shared/smtp/relay-pool.js';
import { SmtpError } from '../../../shared/smtp/smtp-error.js';
import {
  relayEndpoint,
  startScriptedRelay,
  TEST_TIMEOUTS,
  type ScriptedRelay,
  type ScriptStep,
} from '../../support/scripted-relay.js';

async function relayWith(...sessions: ScriptStep[][]) {
  const relay = await startScriptedRelay({ sessions });
  onTestFinished(() => relay.close());
  return relay;
}

function poolFor(relay: ScriptedRelay, options: RelayPoolOptions = {}) {
  const pool = new RelayPool(relayEndpoint(relay), { timeouts: TEST_TIMEOUTS, ...options });
  onTestFinished(() => pool.close());
  return pool;
}

function sendOne(pool: RelayPool, to: string) {
  const message = Buffer.from(`Subject: for ${to}\r\n\r\nhello\r\n`);
  const envelope = { from: 'orders@example.com', to: [to], size: message.length };
  return pool.withSession((session) => session.send(envelope, message));
}

function waitUntil(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, 5));
    check();
  });
}

function verbsOf(relay: ScriptedRelay, session: number): string[] {
  const commands = relay.sessions[session]?.commands ?? [];
  return commands.map((c) => c.line.split(' ', 1)[0] ?? '');
}

function dataCount(relay: ScriptedRelay): number {
  return relay.sessions.flatMap((s) => s.commands).filter((c) => c.line === 'DATA').length;
}

describe('RelayPool', () => {
  it('reuses one connection for sequential messages without RSET in between', async () => {
    const relay = await relayWith();
    const pool = poolFor(relay);

    for (const to of ['a@example.org', 'b@example.org', 'c@example.org']) await sendOne(pool, to);

    expect(relay.sessions).toHaveLength(1);
    expect(relay.transactions.map((t) => t.recipients[0])).toEqual([
      'a@example.org',
      'b@example.org',
      'c@example.org',
    ]);
    expect(verbsOf(relay, 0)).not.toContain('RSET');
  });

  it('never opens more than maxConnections connections at once', async () => {
    const relay = await relayWith([{ on: 'end-of-data', delayMs: 30 }]);
    const pool = poolFor(relay, { maxConnections: 2 });
    const recipients = Array.from({ length: 6 }, (_, index) => `user${index}@example.org`);

    const results = await Promise.all(recipients.map((to) => sendOne(pool, to)));

    expect(results.every((result) => result.dataReply?.code === 250)).toBe(true);
    expect(relay.sessions).toHaveLength(2);
    expect(relay.transactions).toHaveLength(6);
  });

  it('hands connections to waiting callers in the order they asked', async () => {
    const relay = await relayWith();
    const pool = poolFor(relay, { maxConnections: 1 });
    const first = await pool.acquire();
    const order: number[] = [];

    const waiting = [1, 2, 3].map((n) =>
      pool.acquire().then(async (session) => {
        order.push(n);
        await pool.release(session, { reusable: true });
      }),
    );
    await pool.release(first, { reusable: true });
    await Promise.all(waiting);

    expect(order).toEqual([1, 2, 3]);
    expect(relay.sessions).toHaveLength(1);
  });

  it('opens a new connection when the relay closed the pooled one', async () => {
    const relay = await relayWith([{ on: 'end-of-data', idleCloseAfterMs: 10 }], []);
    const pool = poolFor(relay);

    await sendOne(pool, 'a@example.org');
    await waitUntil(() => relay.sessions[0]?.closed === true);
    await sendOne(pool, 'b@example.org');

    expect(relay.sessions).toHaveLength(2);
    expect(relay.transactions.map((t) => [t.session, t.recipients[0]])).toEqual([
      [0, 'a@example.org'],
      [1, 'b@example.org'],
    ]);
  });

  it('discards a pooled connection that received a 421 and writes nothing more to it', async () => {
    const relay = await relayWith(
      [
        {
          on: 'end-of-data',
          reply: '250 2.0.0 Ok: queued as 1',
          inject: '421 4.4.2 relay.example.net Error: timeout exceeded\r\n',
        },
      ],
      [],
    );
    const pool = poolFor(relay);

    await sendOne(pool, 'a@example.org');
    await sendOne(pool, 'b@example.org');

    expect(relay.sessions).toHaveLength(2);
    expect(verbsOf(relay, 0).slice(4)).toEqual(['MAIL', 'RCPT', 'DATA']);
    expect(relay.transactions.map((t) => t.session)).toEqual([0, 1]);
  });

  it('replaces a connection after maxMessagesPerConnection messages', async () => {
    const relay = await relayWith();
    const pool = poolFor(relay, { maxMessagesPerConnection: 2 });

    for (const to of ['a@example.org', 'b@example.org', 'c@example.org']) await sendOne(pool, to);

    expect(relay.sessions).toHaveLength(2);
    expect(verbsOf(relay, 0).at(-1)).toBe('QUIT');
    expect(relay.transactions.map((t) => t.session)).toEqual([0, 0, 1]);
  });

  it('does not send a message again when the connection drops before DATA', async () => {
    const relay = await relayWith([{ on: 'MAIL FROM', action: 'close' }], []);
    const pool = poolFor(relay);

    const error = await sendOne(pool, 'a@example.org').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(SmtpError);
    expect(error).toMatchObject({ phase: 'mail', kind: 'connection', finalDotWritten: false });
    expect(relay.sessions).toHaveLength(1);
    expect(pool.size).toBe(0);
  });

  it('does not send a message again when the connection drops after the final dot', async () => {
    const relay = await relayWith([{ on: 'end-of-data', action: 'close' }], []);
    const pool = poolFor(relay);

    const error = await sendOne(pool, 'a@example.org').catch((reason: unknown) => reason);

    expect(error).toMatchObject({ phase: 'end-of-data', finalDotWritten: true });
    expect(dataCount(relay)).toBe(1);
    expect(relay.sessions).toHaveLength(1);
  });

  it('keeps a connection after a refused sender, reset for the next message', async () => {
    const relay = await relayWith([{ on: 'MAIL FROM', reply: '550 5.7.1 Sender rejected' }]);
    const pool = poolFor(relay);

    const refused = await sendOne(pool, 'a@example.org').catch((reason: unknown) => reason);
    const result = await sendOne(pool, 'b@example.org');

    expect(refused).toMatchObject({ phase: 'mail', kind: 'reply' });
    expect(result.dataReply?.code).toBe(250);
    expect(relay.sessions).toHaveLength(1);
    expect(verbsOf(relay, 0).slice(4)).toEqual(['MAIL', 'RSET', 'MAIL', 'RCPT', 'DATA']);
  });

  it('fails every waiting caller at once when the relay refuses new connections', async () => {
    const relay = await relayWith([
      { on: 'connect', reply: '421 4.3.2 Service shutting down, try again later', then: 'close' },
    ]);
    const pool = poolFor(relay, { maxConnections: 1 });

    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((name) => sendOne(pool, `${name}@example.org`)),
    );

    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(relay.sessions).toHaveLength(1);
  });

  it('QUITs idle connections on close and refuses new work afterwards', async () => {
    const relay = await relayWith();
    const pool = poolFor(relay);
    await sendOne(pool, 'a@example.org');

    await pool.close();

    expect(verbsOf(relay, 0).at(-1)).toBe('QUIT');
    await expect(pool.acquire()).rejects.toThrow(/closed/);
  });
});
