/**
 * Replies to DATA and to the final dot decide the whole message: 4xx there is temporary
 * (the email waits and is sent again, once), 5xx is permanent (bounced, reply kept, never
 * sent again).
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import {
  commandLines, completedDataFor, eventsOf, eventTypes, MESSAGE, perAttempt, sleep,
  startRig, waitForIdleQueue,
} from './fault-rig.js';

describe('replies to DATA and to the final dot', () => {
  it('451 to the DATA command defers without sending the body; the retry sends it once',
    async () => {
      const sessions = perAttempt([
        [{ on: 'DATA', reply: '451 4.3.1 Insufficient system storage' }],
        [],
      ]);
      const rig = await startRig({ sessions });
      onTestFinished(() => rig.stop());

      const id = await rig.send(MESSAGE);
      const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(deferred.recipients[0]).toMatchObject({
        status: 'deferred', replyCode: 451, enhancedStatus: '4.3.1',
      });
      expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'deferred', 'attempt', 'sent']);
      expect(sent.attempts).toBe(2);
      expect(commandLines(rig.relay).filter((line) => line === 'DATA')).toHaveLength(2);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });

  it('452 after the final dot defers; the retry is the one DATA the relay accepts', async () => {
    const sessions = perAttempt([
      [{ on: 'end-of-data', reply: '452 4.3.1 Insufficient system storage, try again later' }],
      [],
    ]);
    const rig = await startRig({ sessions });
    onTestFinished(() => rig.stop());

    const id = await rig.send(MESSAGE);
    const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
    const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

    expect(deferred.reason).toBe('message_deferred');
    expect(deferred.recipients[0]).toMatchObject({
      status: 'deferred',
      replyCode: 452,
      enhancedStatus: '4.3.1',
      reply: '452 4.3.1 Insufficient system storage, try again later',
    });
    expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'deferred', 'attempt', 'sent']);
    expect(completedDataFor(rig.relay, id).map((t) => t.replyCode)).toEqual([452, 250]);
  });

  it('554 after the final dot bounces, keeps the reply, and is never sent again', async () => {
    const refusal = '554 5.7.1 Message rejected: spam content detected';
    const rig = await startRig({ sessions: [[{ on: 'end-of-data', reply: refusal }]] });
    onTestFinished(() => rig.stop());

    const id = await rig.send(MESSAGE);
    const bounced = await rig.pipeline.waitFor(id, (e) => e.status === 'bounced');
    await sleep(3_000); // longer than the longest retry delay (2 s)
    await waitForIdleQueue(rig.pipeline);
    const later = await rig.pipeline.waitFor(id, () => true);

    expect(bounced.recipients[0]).toMatchObject({
      status: 'bounced',
      reason: 'message_rejected',
      replyCode: 554,
      enhancedStatus: '5.7.1',
      reply: refusal,
    });
    expect(eventsOf(bounced, 'bounced')).toEqual([
      expect.objectContaining({ replyCode: 554, enhancedStatus: '5.7.1', reply: refusal }),
    ]);
    expect(later.status).toBe('bounced');
    expect(later.attempts).toBe(1);
    expect(eventTypes(later)).toEqual(['queued', 'attempt', 'bounced']);
    expect(completedDataFor(rig.relay, id)).toHaveLength(1);
  });
});
