/**
 * With several relays, one that fails at the connection, TLS or AUTH step, or answers 421,
 * hands the email to the next relay within the same attempt: the email is sent at its first
 * attempt, through the backup, which is named in the timeline.
 */
import net, { type AddressInfo } from 'node:net';

import { describe, expect, it, onTestFinished } from 'vitest';

import { createCertificateAuthority } from '../../../local/certificates.js';
import { startPipeline } from '../../support/pipeline.js';
import {
  type ScriptedRelayOptions, type ScriptStep, startScriptedRelay,
} from '../../support/scripted-relay.js';
import {
  completedDataFor, eventsOf, eventTypes, hasEvent, MESSAGE, relayUrl, sendEmail,
} from './fault-rig.js';

/** A loopback port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A failing primary (a scripted relay, or a port that refuses connections) and a healthy
 * backup, with the pipeline trusting the backup's CA; the primary shares that CA unless it
 * brings its own.
 */
async function primaryAndBackup(primary: ScriptedRelayOptions | 'refusing connections') {
  const backup = await startScriptedRelay();
  onTestFinished(() => backup.close());
  const failing = primary === 'refusing connections'
    ? undefined
    : await startScriptedRelay(primary);
  if (failing) onTestFinished(() => failing.close());
  const address = failing ?? { host: '127.0.0.1', port: await closedPort() };
  const pipeline = await startPipeline({
    smtpRelays: `${relayUrl(address, 'name=primary')} ${relayUrl(backup, 'name=backup')}`,
    caPem: backup.caPem,
  });
  onTestFinished(() => pipeline.stop());
  return { pipeline, backup, primary: failing };
}

/** Sends one email and checks the outcome of its first attempt. */
async function sentAtFirstAttempt(setup: Awaited<ReturnType<typeof primaryAndBackup>>) {
  const id = await sendEmail(setup.pipeline, MESSAGE);
  const email = await setup.pipeline.waitFor(id, hasEvent('attempt'));

  expect(email.status).toBe('sent');
  expect(email.attempts).toBe(1);
  expect(eventTypes(email)).toEqual(['queued', 'attempt', 'sent']);
  expect(eventsOf(email, 'sent')).toEqual([expect.objectContaining({ relay: 'backup' })]);
  expect(email.recipients[0]).toMatchObject({ status: 'sent', relay: 'backup' });
  expect(completedDataFor(setup.backup, id)).toHaveLength(1);
  expect(eventsOf(email, 'attempt')).toEqual([expect.objectContaining({
    relay: 'backup',
    failedOver: [expect.objectContaining({ relay: 'primary', phase: expect.any(String) })],
  })]);
  return email;
}

const refuseAt = (step: ScriptStep): ScriptedRelayOptions => ({ sessions: [[step]] });

describe('failing over to the next relay in the same attempt', () => {
  it('when the primary answers 421 at the greeting', async () => {
    const setup = await primaryAndBackup(refuseAt({
      on: 'connect', reply: '421 4.3.2 relay.example.net Service shutting down', then: 'close',
    }));

    await sentAtFirstAttempt(setup);

    expect(setup.primary?.sessions).toHaveLength(1);
    expect(setup.primary?.sessions[0]?.commands).toEqual([]);
  });

  it('when the primary refuses connections', async () => {
    const setup = await primaryAndBackup('refusing connections');

    await sentAtFirstAttempt(setup);
  });

  it('when the primary rejects the credentials with 535', async () => {
    const setup = await primaryAndBackup(refuseAt({
      on: 'AUTH', reply: '535 5.7.8 Authentication credentials invalid',
    }));

    await sentAtFirstAttempt(setup);

    expect(setup.primary?.sessions.flatMap((s) => s.authAttempts)).toHaveLength(1);
    expect(setup.primary?.transactions).toEqual([]);
  });

  it('when the primary presents a certificate from an untrusted CA', async () => {
    const setup = await primaryAndBackup({ ca: createCertificateAuthority('Untrusted CA') });

    await sentAtFirstAttempt(setup);

    expect(setup.primary?.sessions.flatMap((s) => s.authAttempts)).toEqual([]);
    expect(setup.primary?.transactions).toEqual([]);
  });

  it('when the primary answers 421 to RCPT', async () => {
    const setup = await primaryAndBackup(refuseAt({
      on: 'RCPT', reply: '421 4.7.0 Too many connections, closing channel', then: 'close',
    }));

    await sentAtFirstAttempt(setup);

    expect(setup.primary?.transactions).toEqual([]);
  });
});

describe('failing over on 421 later in the transaction', () => {
  it('when the primary answers 421 to DATA', async () => {
    const setup = await primaryAndBackup(refuseAt({
      on: 'DATA', reply: '421 4.3.2 Service shutting down, closing channel', then: 'close',
    }));

    await sentAtFirstAttempt(setup);
  });

  it('when the primary answers 421 to the final dot', async () => {
    const setup = await primaryAndBackup(refuseAt({
      on: 'end-of-data', reply: '421 4.7.28 Rate limited, closing channel', then: 'close',
    }));

    await sentAtFirstAttempt(setup);
  });
});
