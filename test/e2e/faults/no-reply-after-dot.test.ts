/**
 * C-10: the one window. Once the final dot is written, a missing reply means the relay may
 * have the message; the email becomes `uncertain` and is never retried automatically, so
 * the relay sees one DATA however long we wait.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import type { ScriptStep } from '../../support/scripted-relay.js';
import {
  caseBody, caseScripts, completedDataFor, eventTypes, sleep, startRig, waitForIdleQueue,
} from './fault-rig.js';

/** A few times the longest retry delay (2 s): any retry would have happened by then. */
const RETRY_WINDOW_MS = 4_000;
const FINAL_DOT_TIMEOUT_MS = 1_500;

/** The case's relay answers 75 s late; here 4 s, against a final-dot timeout of 1.5 s. */
function answerLate(script: ScriptStep[]): ScriptStep[] {
  return script.map((step) => (step.on === 'end-of-data'
    ? { ...step, action: { delayMs: 4_000 } }
    : step));
}

describe('no reply after the final dot', () => {
  it('C-10 A: a reply later than the final-dot timeout leaves the email uncertain, '
    + 'never retried', async () => {
    const [slowAck] = caseScripts('C-10', 'A-slow-ack');
    const rig = await startRig({
      sessions: [answerLate(slowAck!), []],
      pipeline: { timeouts: { finalDotMs: FINAL_DOT_TIMEOUT_MS } },
    });
    onTestFinished(() => rig.stop());

    const id = await rig.send(caseBody('C-10'));
    const uncertain = await rig.pipeline.waitFor(id, (e) => e.status === 'uncertain');
    await sleep(RETRY_WINDOW_MS);
    await waitForIdleQueue(rig.pipeline);
    const later = await rig.pipeline.waitFor(id, () => true);

    expect(uncertain.reason).toBe('no_reply_after_data');
    expect(uncertain.recipients[0]).toMatchObject({
      status: 'uncertain', reason: 'no_reply_after_data',
    });
    expect(eventTypes(later)).toEqual(['queued', 'attempt', 'uncertain']);
    expect(later.status).toBe('uncertain');
    expect(later.attempts).toBe(1);
    expect(rig.relay.sessions).toHaveLength(1);
    expect(completedDataFor(rig.relay, id)).toHaveLength(1);
  });

  it('C-10 B: a connection dropped after the final dot leaves the email uncertain, '
    + 'never retried', async () => {
    const rig = await startRig({ sessions: caseScripts('C-10', 'B-dropped-after-dot') });
    onTestFinished(() => rig.stop());

    const id = await rig.send(caseBody('C-10'));
    const uncertain = await rig.pipeline.waitFor(id, (e) => e.status === 'uncertain');
    await sleep(RETRY_WINDOW_MS);
    await waitForIdleQueue(rig.pipeline);
    const later = await rig.pipeline.waitFor(id, () => true);

    expect(uncertain.reason).toBe('no_reply_after_data');
    expect(uncertain.recipients[0]?.status).toBe('uncertain');
    expect(eventTypes(later)).toEqual(['queued', 'attempt', 'uncertain']);
    expect(later.attempts).toBe(1);
    expect(rig.relay.sessions).toHaveLength(1);
    expect(completedDataFor(rig.relay, id)).toHaveLength(1);
  });
});
