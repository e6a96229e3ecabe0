/**
 * A relay slower than the command timeouts: the worker gives up on that connection before
 * the final dot, the email waits as `relay_timeout`, and a later attempt sends it once.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import { completedDataFor, eventTypes, MESSAGE, startRig } from './fault-rig.js';

/** Short timeouts for these tests; the relay answers well after them. */
const TIMEOUTS = { greetingMs: 2_500, commandMs: 2_500 };
const LATE_MS = 5_000;

describe('a relay slower than the timeouts', () => {
  it('MAIL FROM answered after the command timeout: deferred as relay_timeout, then sent once',
    async () => {
      const rig = await startRig({
        sessions: [[{ on: 'MAIL FROM', delayMs: LATE_MS, reply: '250 2.1.0 Ok' }], []],
        pipeline: { timeouts: TIMEOUTS },
      });
      onTestFinished(() => rig.stop());

      const id = await rig.send(MESSAGE);
      const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(deferred.reason).toBe('relay_timeout');
      expect(deferred.recipients[0]?.status).toBe('deferred');
      expect(rig.relay.sessions[0]?.closed).toBe(true);
      expect(sent.attempts).toBe(2);
      expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'deferred', 'attempt', 'sent']);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });

  it('a greeting later than the greeting timeout: deferred as relay_timeout, then sent once',
    async () => {
      const rig = await startRig({
        sessions: [[{ on: 'connect', delayMs: LATE_MS }], []],
        pipeline: { timeouts: TIMEOUTS },
      });
      onTestFinished(() => rig.stop());

      const id = await rig.send(MESSAGE);
      const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(deferred.reason).toBe('relay_timeout');
      expect(rig.relay.sessions[0]?.commands).toEqual([]);
      expect(sent.attempts).toBe(2);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });
});
