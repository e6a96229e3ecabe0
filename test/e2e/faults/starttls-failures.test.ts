/**
 * C-13: without a verified TLS session nothing but EHLO and STARTTLS goes to the relay: no
 * AUTH (so no credentials), no envelope, no data, on the first attempt or any retry. The
 * email waits with reason `relay_tls_failed`.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import { createCertificateAuthority } from '../../../local/certificates.js';
import type { EmailBody } from '../../support/pipeline.js';
import { RELAY_PASS, RELAY_USER, type ScriptedRelay } from '../../support/scripted-relay.js';
import {
  caseBody, caseVariant, commandLines, eventsOf, hasEvent, type RigOptions, startRig,
} from './fault-rig.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const CREDENTIALS = [
  base64(`\u0000${RELAY_USER}\u0000${RELAY_PASS}`),
  base64(RELAY_USER),
  base64(RELAY_PASS),
];

/** Runs two attempts, so that a retry is shown not to fall back to plaintext either. */
async function twoAttempts(options: RigOptions) {
  const rig = await startRig(options);
  onTestFinished(() => rig.stop());

  const id = await rig.send(caseBody('C-13'));
  const email = await rig.pipeline.waitFor(id, hasEvent('deferred', 2));
  return { relay: rig.relay, email };
}

function expectNothingPastStartTls(relay: ScriptedRelay, email: EmailBody) {
  const lines = commandLines(relay);

  expect(email.reason).toBe('relay_tls_failed');
  expect(email.recipients[0]?.status).toBe('deferred');
  expect(eventsOf(email, 'deferred').every((d) => d.reason === 'relay_tls_failed')).toBe(true);
  expect(email.events.some((e) => e.type === 'bounced' || e.type === 'failed')).toBe(false);
  expect(relay.sessions.length).toBeGreaterThanOrEqual(2);
  expect(relay.sessions.flatMap((s) => s.authAttempts)).toEqual([]);
  expect(relay.transactions).toEqual([]);
  expect(lines.filter((line) => /^(AUTH|MAIL|RCPT|DATA)\b/i.test(line))).toEqual([]);
  expect(lines.filter((line) => CREDENTIALS.some((secret) => line.includes(secret))))
    .toEqual([]);
}

describe('a relay without a usable TLS session', () => {
  it('C-13 A: STARTTLS not offered (AUTH offered in plaintext) gets no AUTH and no MAIL',
    async () => {
      const { relay, email } = await twoAttempts({
        sessions: [caseVariant('C-13', 'A-stripped')],
      });

      expectNothingPastStartTls(relay, email);
      expect(String(email.recipients[0]?.reply)).toMatch(/STARTTLS/);
    });

  it('C-13 B: STARTTLS refused with 454 gets no AUTH and no MAIL', async () => {
    const { relay, email } = await twoAttempts({ sessions: [caseVariant('C-13', 'B-454')] });

    expectNothingPastStartTls(relay, email);
    expect(email.recipients[0]).toMatchObject({ replyCode: 454, enhancedStatus: '4.7.0' });
    expect(commandLines(relay).filter((line) => line === 'STARTTLS').length)
      .toBeGreaterThanOrEqual(2);
  });

  it('C-13 C: a certificate from a CA the pipeline does not trust ends the session',
    async () => {
      const trusted = createCertificateAuthority('Mailroom Trusted Test CA');
      const { relay, email } = await twoAttempts({
        sessions: [caseVariant('C-13', 'C-bad-cert')],
        relay: { ca: createCertificateAuthority('Untrusted Test CA') },
        caPem: trusted.certPem,
      });

      expectNothingPastStartTls(relay, email);
      expect(relay.sessions.flatMap((s) => s.commands).some((c) => c.tls)).toBe(false);
      expect(String(email.recipients[0]?.reply)).toMatch(/certificate/i);
    });

  it('C-13 C: a trusted CA but a certificate for another host name ends the session',
    async () => {
      const { relay, email } = await twoAttempts({
        sessions: [caseVariant('C-13', 'C-bad-cert')],
        relay: { ca: createCertificateAuthority(), hostnames: ['wrong-host.example.net'] },
      });

      expectNothingPastStartTls(relay, email);
      expect(relay.sessions.flatMap((s) => s.commands).some((c) => c.tls)).toBe(false);
      expect(String(email.recipients[0]?.reply)).toMatch(/altnames|certificate/i);
    });
});
