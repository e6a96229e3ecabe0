/**
 * C-14: credentials go out only inside TLS, once per connection when the relay rejects
 * them (535), and never to a relay that does not offer AUTH; without a successful AUTH no
 * envelope is sent. A mechanism the relay cannot do (504) may give way to the next one.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import { RELAY_USER } from '../../support/scripted-relay.js';
import {
  caseBody, caseVariant, commandLines, completedDataFor, eventsOf, eventTypes, hasEvent,
  startRig,
} from './fault-rig.js';

describe('relay authentication', () => {
  it('C-14 A: after 504 for PLAIN the next offered mechanism is used and the email sent once',
    async () => {
      const rig = await startRig({ sessions: [caseVariant('C-14', 'A-504-then-fallback')] });
      onTestFinished(() => rig.stop());

      const id = await rig.send(caseBody('C-14'));
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(rig.relay.sessions[0]?.authAttempts).toEqual([
        expect.objectContaining({ mechanism: 'PLAIN', tls: true, replyCode: 504 }),
        expect.objectContaining({
          mechanism: 'LOGIN', tls: true, replyCode: 235, username: RELAY_USER,
        }),
      ]);
      expect(sent.attempts).toBe(1);
      expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'sent']);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });

  it('C-14 B: 535 gets one AUTH per connection, no MAIL, and defers as relay_auth_failed',
    async () => {
      const rig = await startRig({ sessions: [caseVariant('C-14', 'B-535-bad-credentials')] });
      onTestFinished(() => rig.stop());

      const id = await rig.send(caseBody('C-14'));
      const email = await rig.pipeline.waitFor(id, hasEvent('deferred', 2));

      expect(email.reason).toBe('relay_auth_failed');
      expect(eventsOf(email, 'deferred').every((d) => d.replyCode === 535)).toBe(true);
      expect(email.recipients[0]).toMatchObject({
        status: 'deferred', replyCode: 535, enhancedStatus: '5.7.8',
      });
      expect(eventTypes(email)).not.toContain('bounced');
      const tried = rig.relay.sessions.filter((session) => session.authAttempts.length > 0);
      expect(tried.length).toBeGreaterThanOrEqual(2);
      for (const session of rig.relay.sessions) {
        expect(session.authAttempts.length).toBeLessThanOrEqual(1);
        expect(session.authAttempts.every((attempt) => attempt.tls)).toBe(true);
      }
      expect(commandLines(rig.relay).filter((line) => /^MAIL\b/i.test(line))).toEqual([]);
      expect(rig.relay.transactions).toEqual([]);
    });

  it('C-14 C: credentials configured but AUTH not offered: no AUTH, no MAIL, deferred',
    async () => {
      const rig = await startRig({ sessions: [caseVariant('C-14', 'C-no-auth-advertised')] });
      onTestFinished(() => rig.stop());

      const id = await rig.send(caseBody('C-14'));
      const email = await rig.pipeline.waitFor(id, hasEvent('deferred', 2));

      expect(email.reason).toBe('relay_auth_failed');
      expect(email.recipients[0]?.status).toBe('deferred');
      expect(String(email.recipients[0]?.reply)).toMatch(/AUTH/);
      expect(eventTypes(email)).not.toContain('bounced');
      const lines = commandLines(rig.relay);
      expect(lines.filter((line) => /^(AUTH|MAIL|RCPT|DATA)\b/i.test(line))).toEqual([]);
      expect(lines.filter((line) => line === 'STARTTLS').length).toBeGreaterThanOrEqual(2);
      expect(rig.relay.transactions).toEqual([]);
    });
});
