/**
 * C-07, queue fault: SQS delivers a job at least once, so the same job can arrive twice:
 * together with the first copy, while the first copy is still waiting for the relay, or
 * after the email was sent. The worker's claim on the email lets only one copy send it.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import {
  caseBody, completedDataFor, eventTypes, MESSAGE, queueCounts, queueJobAgain, startRig,
  waitForIdleQueue, waitUntil,
} from './fault-rig.js';

const body = { ...caseBody('C-07'), subject: 'Order 7790 confirmed' };

describe('the same send job delivered more than once', () => {
  it('two copies on the queue before any worker runs: one DATA', async () => {
    const rig = await startRig({ pipeline: { worker: false } });
    onTestFinished(() => rig.stop());
    const id = await rig.send(body);
    await queueJobAgain(rig.pipeline, id);

    rig.pipeline.startWorker();
    const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');
    await waitForIdleQueue(rig.pipeline);
    const later = await rig.pipeline.waitFor(id, () => true);

    expect(sent.attempts).toBe(1);
    expect(eventTypes(later)).toEqual(['queued', 'attempt', 'sent']);
    expect(completedDataFor(rig.relay, id)).toHaveLength(1);
  });

  it('copies arriving after the email was sent do nothing', async () => {
    const rig = await startRig();
    onTestFinished(() => rig.stop());
    const id = await rig.send(body);
    const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

    await queueJobAgain(rig.pipeline, id);
    await queueJobAgain(rig.pipeline, id, 1);
    await waitForIdleQueue(rig.pipeline);
    const later = await rig.pipeline.waitFor(id, () => true);

    expect(later.status).toBe('sent');
    expect(later.attempts).toBe(1);
    expect(later.events).toEqual(sent.events);
    expect(completedDataFor(rig.relay, id)).toHaveLength(1);
  });

  it('C-07: a copy arriving while the relay holds its reply to the final dot does nothing',
    async () => {
      const rig = await startRig({
        sessions: [[{ on: 'end-of-data', delayMs: 5_000, reply: '250 2.0.0 Ok: queued as 7QX1' }]],
      });
      onTestFinished(() => rig.stop());
      const id = await rig.send(MESSAGE);
      await waitUntil('the relay has the final dot', () =>
        completedDataFor(rig.relay, id).length === 1);

      await queueJobAgain(rig.pipeline, id);
      await waitUntil('the copy was taken and finished while the first waits', async () => {
        const counts = await queueCounts(rig.pipeline);
        return counts.visible === 0 && counts.inFlight === 1;
      });
      const whileWaiting = await rig.pipeline.waitFor(id, () => true);
      const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(whileWaiting.status).toBe('sending');
      expect(sent.attempts).toBe(1);
      expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'sent']);
      expect(sent.recipients[0]).toMatchObject({ status: 'sent', queueId: '7QX1' });
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
      expect(rig.relay.sessions).toHaveLength(1);
    });
});
