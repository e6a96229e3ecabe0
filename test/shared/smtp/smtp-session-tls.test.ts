import net, { type AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createCertificateAuthority,
  type CertificateAuthority,
} from '../../../local/certificates.js';
import { isRelayLevelFailure } from '../../../shared/smtp/classify.js';
import { SmtpError } from '../../../shared/smtp/smtp-error.js';
import { SmtpSession, type RelayEndpoint } from '../../../shared/smtp/smtp-session.js';
import {
  relayEndpoint,
  startScriptedRelay,
  TEST_TIMEOUTS,
  type ScriptedRelayOptions,
  type ScriptStep,
} from '../../support/scripted-relay.js';

async function relayWith(sessions: ScriptStep[][], options: ScriptedRelayOptions = {}) {
  const relay = await startScriptedRelay({ sessions, ...options });
  onTestFinished(() => relay.close());
  return relay;
}

async function open(endpoint: RelayEndpoint, timeouts = TEST_TIMEOUTS) {
  const session = await SmtpSession.open(endpoint, { timeouts });
  onTestFinished(() => session.close());
  return session;
}

async function openFailure(endpoint: RelayEndpoint, timeouts = TEST_TIMEOUTS) {
  const error = await SmtpSession.open(endpoint, { timeouts }).then(
    () => expect.unreachable('the session should not open'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SmtpError);
  return error as SmtpError;
}

let otherCa: CertificateAuthority | undefined;

/** A CA other than the relays' usual one; made once because RSA keys take a while. */
function secondCa(): CertificateAuthority {
  otherCa ??= createCertificateAuthority('Second Test CA');
  return otherCa;
}

function verbs(commands: { line: string }[]): string[] {
  return commands.map((command) => command.line.split(' ', 1)[0]?.toUpperCase() ?? '');
}

const STRIPPED_EHLO: ScriptStep = {
  on: 'EHLO',
  reply: [
    '250-relay.example.net greets you',
    '250-PIPELINING',
    '250-AUTH PLAIN LOGIN',
    '250 8BITMIME',
  ],
};

describe('SmtpSession TLS', () => {
  it('upgrades with STARTTLS and says EHLO again before sending AUTH', async () => {
    const relay = await relayWith([]);

    const session = await open(relayEndpoint(relay));

    const commands = relay.sessions[0]?.commands ?? [];
    expect(commands.map((c) => [c.line.split(' ', 2).join(' '), c.tls])).toEqual([
      ['EHLO localhost', false],
      ['STARTTLS', false],
      ['EHLO localhost', true],
      ['AUTH PLAIN', true],
    ]);
    expect(relay.sessions[0]?.authAttempts).toEqual([
      { mechanism: 'PLAIN', tls: true, replyCode: 235, username: 'relay-user' },
    ]);
    expect(session.usable).toBe(true);
  });

  it('sends neither AUTH nor MAIL when the relay does not offer STARTTLS', async () => {
    const relay = await relayWith([[STRIPPED_EHLO]]);

    const error = await openFailure(relayEndpoint(relay));

    expect(error).toMatchObject({ phase: 'starttls', kind: 'config' });
    expect(error.message).toContain('does not offer STARTTLS');
    expect(verbs(relay.sessions[0]?.commands ?? [])).toEqual(['EHLO', 'QUIT']);
    expect(isRelayLevelFailure(error)).toBe(true);
  });

  it('sends nothing but QUIT after a 454 to STARTTLS', async () => {
    const relay = await relayWith([
      [
        {
          on: 'EHLO',
          reply: ['250-relay.example.net', '250-STARTTLS', '250 AUTH PLAIN LOGIN'],
        },
        { on: 'STARTTLS', reply: '454 4.7.0 TLS temporarily unavailable' },
      ],
    ]);

    const error = await openFailure(relayEndpoint(relay));

    expect(error).toMatchObject({ phase: 'starttls', kind: 'reply' });
    expect(error.reply).toMatchObject({ code: 454, enhancedStatus: '4.7.0' });
    expect(verbs(relay.sessions[0]?.commands ?? [])).toEqual(['EHLO', 'STARTTLS', 'QUIT']);
    expect(isRelayLevelFailure(error)).toBe(true);
  });

  it('stops on a 432 to STARTTLS from a relay that then closes the connection', async () => {
    const relay = await relayWith([
      [
        { on: 'STARTTLS', reply: '432 4.3.2 Too many simultaneous connections', then: 'close' },
      ],
    ]);

    const error = await openFailure(relayEndpoint(relay));

    expect(error).toMatchObject({ phase: 'starttls', kind: 'reply', reply: { code: 432 } });
    expect(verbs(relay.sessions[0]?.commands ?? [])).not.toContain('AUTH');
  });

  it('fails with a TLS error and sends no AUTH when the CA is not trusted', async () => {
    const relay = await relayWith([], { ca: secondCa() });
    const trustedOnly = await relayWith([]);

    const error = await openFailure(relayEndpoint(relay, { ca: trustedOnly.caPem }));

    expect(error).toMatchObject({ phase: 'tls', kind: 'tls' });
    expect(isRelayLevelFailure(error)).toBe(true);
    expect(verbs(relay.sessions[0]?.commands ?? [])).toEqual(['EHLO', 'STARTTLS']);
  });

  it('fails with a TLS error when the certificate names another host', async () => {
    const ca = secondCa();
    const relay = await relayWith([], { ca, hostnames: ['wrong-host.example.net'] });

    const error = await openFailure(relayEndpoint(relay, { ca: ca.certPem }));

    expect(error).toMatchObject({ phase: 'tls', kind: 'tls' });
    expect(error.message).toMatch(/does not match|altnames/i);
    expect(relay.sessions[0]?.commands.some((c) => c.tls)).toBe(false);
  });

  it('verifies the certificate against servername when one is configured', async () => {
    const ca = secondCa();
    const relay = await relayWith([], { ca, hostnames: ['relay.example.net'] });

    const session = await open(
      relayEndpoint(relay, { ca: ca.certPem, servername: 'relay.example.net' }),
    );

    expect(session.usable).toBe(true);
  });

  it('ignores plaintext injected after the 220 to STARTTLS', async () => {
    const relay = await relayWith([
      [{ on: 'STARTTLS', reply: '220 2.0.0 Ready', inject: '554 5.7.0 injected reply\r\n' }],
    ]);

    const session = await open(relayEndpoint(relay));

    expect(session.usable).toBe(true);
    expect(session.capabilities.get('AUTH')).toBe('PLAIN LOGIN');
    expect(relay.sessions[0]?.authAttempts[0]?.replyCode).toBe(235);
  });

  it('forgets the capabilities announced before TLS', async () => {
    const relay = await relayWith([
      [
        {
          on: 'EHLO',
          reply: ['250-relay.example.net', '250-SMTPUTF8', '250-SIZE 1000', '250 STARTTLS'],
        },
        { on: 'EHLO', reply: ['250-relay.example.net', '250 AUTH LOGIN'] },
      ],
    ]);

    const session = await open(relayEndpoint(relay));

    expect([...session.capabilities.keys()]).toEqual(['AUTH']);
  });

  it('speaks TLS from the first byte when the relay uses implicit TLS', async () => {
    const relay = await relayWith([], { implicitTls: true });

    const session = await open(relayEndpoint(relay, { secure: true }));

    expect(session.usable).toBe(true);
    const commands = relay.sessions[0]?.commands ?? [];
    expect(commands.map((c) => [c.line.split(' ', 2).join(' '), c.tls])).toEqual([
      ['EHLO localhost', true],
      ['AUTH PLAIN', true],
    ]);
  });

  it('reports a multi-line 421 greeting as a relay-level reply failure', async () => {
    const relay = await relayWith([
      [
        {
          on: 'connect',
          reply: ['421-4.3.2 relay.example.net Service shutting down,', '421 4.3.2 try later'],
          then: 'close',
        },
      ],
    ]);

    const error = await openFailure(relayEndpoint(relay));

    expect(error).toMatchObject({ phase: 'greeting', kind: 'reply' });
    expect(error.reply).toMatchObject({ code: 421, enhancedStatus: '4.3.2' });
    expect(isRelayLevelFailure(error)).toBe(true);
    expect(relay.sessions[0]?.commands).toEqual([]);
  });

  it('times out a relay that never greets', async () => {
    const relay = await relayWith([[{ on: 'connect', delayMs: 1_000 }]]);

    const error = await openFailure(relayEndpoint(relay), { ...TEST_TIMEOUTS, greetingMs: 100 });

    expect(error).toMatchObject({ phase: 'greeting', kind: 'timeout' });
  });

  it('reports a refused connection in the connect phase', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const endpoint: RelayEndpoint = { name: 'closed', host: '127.0.0.1', port, secure: false };

    const error = await openFailure(endpoint);

    expect(error).toMatchObject({ phase: 'connect', kind: 'connection' });
    expect(isRelayLevelFailure(error)).toBe(true);
  });
});
