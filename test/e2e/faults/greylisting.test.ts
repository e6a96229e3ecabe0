/**
 * C-11: greylisting answers RCPT with 451 4.7.1, and some relays with the non-standard 422.
 * Both are temporary by their class digit: the email waits, is tried again with backoff,
 * and reaches the relay's DATA once.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import {
  caseBody, caseScripts, commandLines, completedDataFor, eventsOf, eventTypes, perAttempt,
  startRig,
} from './fault-rig.js';

describe('a greylisting relay', () => {
  it('C-11: 451 then 422 at RCPT defer twice with backoff; the third attempt sends one DATA',
    async () => {
      const rig = await startRig({ sessions: perAttempt(caseScripts('C-11')) });
      onTestFinished(() => rig.stop());

      const id = await rig.send(caseBody('C-11'));
      const firstDeferral = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent', 20_000);

      expect(firstDeferral.recipients[0]).toMatchObject({
        address: 'jun.park@example.net', status: 'deferred', replyCode: 451,
      });
      expect(firstDeferral.nextAttemptAt).toEqual(expect.any(String));
      expect(eventTypes(sent)).toEqual([
        'queued', 'attempt', 'deferred', 'attempt', 'deferred', 'attempt', 'sent',
      ]);
      expect(eventsOf(sent, 'deferred')).toEqual([
        expect.objectContaining({ replyCode: 451, enhancedStatus: '4.7.1', attempt: 1 }),
        expect.objectContaining({ replyCode: 422, enhancedStatus: '4.2.2', attempt: 2 }),
      ]);
      expect(eventsOf(sent, 'sent')).toEqual([
        expect.objectContaining({ replyCode: 250, queueId: '4VmQ0A1b2C', attempt: 3 }),
      ]);
      expect(sent.attempts).toBe(3);
      expect(sent.recipients[0]?.status).toBe('sent');
      const attemptTimes = sent.events.filter((e) => e.type === 'attempt')
        .map((e) => Date.parse(String(e.at)));
      for (let i = 1; i < attemptTimes.length; i++) {
        // The configured base delay is 1 s: a hot loop would retry within milliseconds.
        expect(attemptTimes[i]! - attemptTimes[i - 1]!).toBeGreaterThanOrEqual(1_000);
      }
      expect(commandLines(rig.relay).filter((line) => /^RCPT /i.test(line))).toHaveLength(3);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });
});

describe('a relay that greylists one recipient of two', () => {
  it('sends to the accepted one once, and to the greylisted one alone on the retry',
    async () => {
      const greylisted = 'jun.park@example.net';
      const sessions = perAttempt([
        [{ on: `RCPT TO:<${greylisted}>`, reply: '451 4.7.1 Greylisted, please try again' }],
        [],
      ]);
      const rig = await startRig({ sessions });
      onTestFinished(() => rig.stop());

      const id = await rig.send({ ...caseBody('C-11'), to: ['ana.lima@example.org', greylisted] });
      const waiting = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(waiting.recipients.map((r) => [r.address, r.status])).toEqual([
        ['ana.lima@example.org', 'sent'],
        [greylisted, 'deferred'],
      ]);
      expect(completedDataFor(rig.relay, id).map((t) => t.recipients)).toEqual([
        ['ana.lima@example.org'],
        [greylisted],
      ]);
      expect(eventTypes(sent)).toEqual([
        'queued', 'attempt', 'sent', 'deferred', 'attempt', 'sent',
      ]);
      expect(sent.recipients.map((r) => r.status)).toEqual(['sent', 'sent']);
    });
});
