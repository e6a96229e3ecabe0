import { createHmac } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../../shared/log/logger.js';
import { isRelayLevelFailure } from '../../../shared/smtp/classify.js';
import { SmtpError } from '../../../shared/smtp/smtp-error.js';
import { SmtpSession, type RelayEndpoint } from '../../../shared/smtp/smtp-session.js';
import {
  RELAY_PASS,
  RELAY_USER,
  relayEndpoint,
  startScriptedRelay,
  TEST_TIMEOUTS,
  type ScriptStep,
} from '../../support/scripted-relay.js';

async function relayWith(sessions: ScriptStep[][]) {
  const relay = await startScriptedRelay({ sessions });
  onTestFinished(() => relay.close());
  return relay;
}

async function open(endpoint: RelayEndpoint) {
  const session = await SmtpSession.open(endpoint, { timeouts: TEST_TIMEOUTS });
  onTestFinished(() => session.close());
  return session;
}

async function openFailure(endpoint: RelayEndpoint): Promise<SmtpError> {
  const error = await SmtpSession.open(endpoint, { timeouts: TEST_TIMEOUTS }).then(
    () => expect.unreachable('the session should not open'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SmtpError);
  return error as SmtpError;
}

function ehloAfterTls(...capabilities: string[]): ScriptStep[] {
  const last = capabilities.pop() ?? 'PIPELINING';
  return [
    { on: 'EHLO', reply: ['250-relay.example.net', '250 STARTTLS'] },
    { on: 'STARTTLS', reply: '220 2.0.0 Ready to start TLS' },
    {
      on: 'EHLO',
      reply: ['250-relay.example.net', ...capabilities.map((c) => `250-${c}`), `250 ${last}`],
    },
  ];
}

const MESSAGE = Buffer.from('Subject: auth\r\n\r\nbody\r\n');
const ENVELOPE = { from: 'orders@example.com', to: ['ana.lima@example.org'], size: MESSAGE.length };

describe('SmtpSession AUTH', () => {
  it('tries the next offered mechanism after a 504 and sends the message once', async () => {
    const relay = await relayWith([
      [
        ...ehloAfterTls('PIPELINING', 'AUTH CRAM-MD5 PLAIN LOGIN', 'ENHANCEDSTATUSCODES'),
        { on: 'AUTH PLAIN', reply: '504 5.5.4 Authentication mechanism not supported' },
        { on: 'AUTH LOGIN', reply: '334 VXNlcm5hbWU6' },
        { on: '<base64 user>', reply: '334 UGFzc3dvcmQ6' },
        { on: '<base64 password>', reply: '235 2.7.0 Authentication successful' },
      ],
    ]);
    const session = await open(relayEndpoint(relay));

    const result = await session.send(ENVELOPE, MESSAGE);

    const attempts = relay.sessions[0]?.authAttempts ?? [];
    expect(attempts.map((a) => [a.mechanism, a.replyCode, a.tls])).toEqual([
      ['PLAIN', 504, true],
      ['LOGIN', 235, true],
    ]);
    expect(attempts[1]?.username).toBe(RELAY_USER);
    expect(result.dataReply?.code).toBe(250);
    expect(relay.transactions.filter((t) => t.completed)).toHaveLength(1);
  });

  it('makes one AUTH attempt only when the relay answers 535', async () => {
    const relay = await relayWith([[{ on: 'AUTH', reply: '535 5.7.8 Credentials rejected' }]]);

    const error = await openFailure(relayEndpoint(relay));

    expect(error).toMatchObject({ phase: 'auth', kind: 'reply', reply: { code: 535 } });
    expect(isRelayLevelFailure(error)).toBe(true);
    expect(relay.sessions[0]?.authAttempts).toHaveLength(1);
    expect(relay.sessions[0]?.commands.map((c) => c.line.split(' ')[0])).not.toContain('MAIL');
  });

  it('stops before MAIL when credentials are set but AUTH is not offered', async () => {
    const relay = await relayWith([ehloAfterTls('PIPELINING', 'SIZE 10485760', '8BITMIME')]);

    const error = await openFailure(relayEndpoint(relay));

    expect(error).toMatchObject({ phase: 'auth', kind: 'config' });
    expect(error.message).toContain('does not offer AUTH');
    expect(isRelayLevelFailure(error)).toBe(true);
    const sent = relay.sessions[0]?.commands.map((c) => c.line.split(' ')[0]);
    expect(sent).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'QUIT']);
  });

  it('stops with a configuration error when no offered mechanism is supported', async () => {
    const relay = await relayWith([ehloAfterTls('AUTH XOAUTH2 GSSAPI')]);

    const error = await openFailure(relayEndpoint(relay));

    expect(error).toMatchObject({ phase: 'auth', kind: 'config' });
    expect(relay.sessions[0]?.authAttempts).toEqual([]);
  });

  it('sends no AUTH when no credentials are configured', async () => {
    const relay = await relayWith([]);
    const endpoint = relayEndpoint(relay, { user: undefined, pass: undefined });

    const session = await open(endpoint);
    const result = await session.send(ENVELOPE, MESSAGE);

    expect(relay.sessions[0]?.authAttempts).toEqual([]);
    expect(result.dataReply?.code).toBe(250);
  });

  it('answers a CRAM-MD5 challenge when that is the only mechanism offered', async () => {
    const challenge = '<1896.697170952@relay.example.net>';
    const relay = await relayWith([
      [
        ...ehloAfterTls('AUTH CRAM-MD5'),
        { on: 'AUTH CRAM-MD5', reply: `334 ${Buffer.from(challenge).toString('base64')}` },
        { on: '<base64 response>', reply: '235 2.7.0 Authentication successful' },
      ],
    ]);

    await open(relayEndpoint(relay));

    const response = relay.sessions[0]?.commands.at(-1)?.line ?? '';
    const digest = createHmac('md5', RELAY_PASS).update(challenge).digest('hex');
    expect(Buffer.from(response, 'base64').toString()).toBe(`${RELAY_USER} ${digest}`);
  });

  it('keeps credentials out of logs and error messages', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const relay = await relayWith([[{ on: 'AUTH', reply: '535 5.7.8 Credentials rejected' }]]);
    const token = Buffer.from(`\u0000${RELAY_USER}\u0000${RELAY_PASS}`).toString('base64');

    const error = await SmtpSession.open(relayEndpoint(relay), { logger, timeouts: TEST_TIMEOUTS })
      .catch((reason: SmtpError) => reason);

    const written = [...lines, String(error), JSON.stringify(error)].join('\n');
    expect(lines.some((line) => line.includes('"verb":"AUTH PLAIN"'))).toBe(true);
    expect(written).not.toContain(RELAY_PASS);
    expect(written).not.toContain(token);
  });
});
