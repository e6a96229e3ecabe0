/**
 * C-12: relays that throttle answer 421 and close the channel (RFC 5321 section 3.8), at
 * the greeting or in reply to the final dot; some refuse extra connections with 432. Every
 * one of these is temporary: the email waits and is sent later, exactly once.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import {
  caseBody, caseScripts, completedDataFor, eventsOf, eventTypes, startRig,
} from './fault-rig.js';

const [endOfData421, greeting421, tooManyConnections, recovered] = caseScripts('C-12');
const body = caseBody('C-12');

describe('a relay that answers 421', () => {
  it('at the greeting: deferred as relay_unavailable, nothing written, sent once later',
    async () => {
      const rig = await startRig({ sessions: [greeting421!, recovered!] });
      onTestFinished(() => rig.stop());

      const id = await rig.send(body);
      const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(deferred.reason).toBe('relay_unavailable');
      expect(deferred.nextAttemptAt).toEqual(expect.any(String));
      expect(deferred.recipients[0]).toMatchObject({
        status: 'deferred',
        replyCode: 421,
        enhancedStatus: '4.3.2',
        reply: '421 4.3.2 relay.example.net Service shutting down, try again later',
      });
      expect(rig.relay.sessions[0]?.commands).toEqual([]);
      expect(sent.attempts).toBe(2);
      expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'deferred', 'attempt', 'sent']);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });

  it('after the final dot: the whole multi-line reply is kept, the connection is dropped, '
    + 'and the next attempt sends it once', async () => {
    const rig = await startRig({ sessions: [endOfData421!, recovered!] });
    onTestFinished(() => rig.stop());

    const id = await rig.send(body);
    const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
    const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

    const throttled = {
      replyCode: 421,
      enhancedStatus: '4.7.28',
      reply: '421 4.7.28 [198.51.100.7] Sending rate from your domain is unusually high; '
        + 'mail from it is being throttled for now. Try again later. - relay',
    };
    expect(deferred.recipients[0]).toMatchObject({ status: 'deferred', ...throttled });
    expect(eventsOf(sent, 'deferred')).toEqual([expect.objectContaining(throttled)]);
    const firstConnection = rig.relay.sessions[0]?.commands.map((command) => command.line);
    expect(firstConnection?.at(-1)).toBe('DATA');
    expect(completedDataFor(rig.relay, id).map((t) => t.replyCode)).toEqual([421, 250]);
    expect(sent.attempts).toBe(2);
    expect(eventTypes(sent)).not.toContain('bounced');
  });

  it('432 to STARTTLS (too many connections) defers instead of failing, then sends once',
    async () => {
      const rig = await startRig({ sessions: [tooManyConnections!, recovered!] });
      onTestFinished(() => rig.stop());

      const id = await rig.send(body);
      const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(deferred.recipients[0]).toMatchObject({
        status: 'deferred', replyCode: 432, enhancedStatus: '4.3.2',
      });
      expect(rig.relay.sessions[0]?.authAttempts).toEqual([]);
      expect(sent.attempts).toBe(2);
      expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'deferred', 'attempt', 'sent']);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });

  it('C-12: twenty emails in a burst, some met by 421, are each sent exactly once',
    async () => {
      const sessions = [endOfData421!, greeting421!, greeting421!, greeting421!, recovered!];
      const rig = await startRig({ sessions });
      onTestFinished(() => rig.stop());

      const ids = await Promise.all(Array.from({ length: 20 }, () => rig.send(body)));
      const emails = await Promise.all(ids.map((id) =>
        rig.pipeline.waitFor(id, (e) => e.status === 'sent', 20_000)));

      const accepted = rig.relay.transactions.filter((t) => t.completed && t.replyCode === 250);
      const carried = accepted.map((t) => ids.find((id) => t.raw.toString('latin1').includes(id)));
      expect(carried.sort()).toEqual([...ids].sort());
      const deferrals = emails.flatMap((email) => eventsOf(email, 'deferred'));
      expect(deferrals.length).toBeGreaterThanOrEqual(1);
      expect(deferrals.filter((detail) => detail.replyCode !== 421)).toEqual([]);
      expect(new Set(emails.flatMap(eventTypes)))
        .toEqual(new Set(['queued', 'attempt', 'deferred', 'sent']));
      expect(rig.relay.sessions[0]?.commands.at(-1)?.line).toBe('DATA');
      expect(rig.relay.sessions.slice(1, 4).map((s) => s.commands)).toEqual([[], [], []]);
    });
});
