/**
 * Relays end long-lived connections on their own terms: after a few messages, with a 421
 * for "too many messages", or when a connection sits idle. Emails on a pooled connection
 * the relay is closing may wait for another attempt, but each is sent exactly once.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import type { Pipeline } from '../../support/pipeline.js';
import type { ScriptedRelay } from '../../support/scripted-relay.js';
import { eventTypes, MESSAGE, sleep, startRig } from './fault-rig.js';

const EMAILS = 10;

function numbered(index: number) {
  return { ...MESSAGE, to: [`reader${index}@example.org`], subject: `Newsletter ${index}` };
}

/** Waits for every email to be sent and returns them. */
async function allSent(pipeline: Pipeline, ids: string[]) {
  return Promise.all(ids.map((id) => pipeline.waitFor(id, (e) => e.status === 'sent', 20_000)));
}

/** The email each accepted DATA carried, read from its Message-ID. */
function acceptedIds(relay: ScriptedRelay, ids: string[]): string[] {
  return relay.transactions
    .filter((t) => t.completed && t.replyCode === 250)
    .map((t) => ids.find((id) => t.raw.toString('latin1').includes(id)) ?? 'unknown');
}

describe('a relay that closes pooled connections', () => {
  it('after its third message on a connection: ten emails, each sent exactly once',
    async () => {
      const closeAfterThird = [
        { on: 'end-of-data' }, { on: 'end-of-data' }, { on: 'end-of-data', then: 'close' },
      ];
      const rig = await startRig({ sessions: [closeAfterThird], query: 'max_connections=2' });
      onTestFinished(() => rig.stop());

      const ids = [];
      for (let i = 0; i < EMAILS; i++) ids.push(await rig.send(numbered(i)));
      const emails = await allSent(rig.pipeline, ids);

      expect(acceptedIds(rig.relay, ids).sort()).toEqual([...ids].sort());
      expect(rig.relay.sessions.length).toBeGreaterThanOrEqual(Math.ceil(EMAILS / 3));
      expect(emails.flatMap(eventTypes).filter((type) => type === 'sent')).toHaveLength(EMAILS);
      expect(emails.flatMap(eventTypes)).not.toContain('uncertain');
    });

  it('with 421 to MAIL FROM after three messages: ten emails, each sent exactly once',
    async () => {
      const tooMany = [
        { on: 'MAIL' }, { on: 'MAIL' }, { on: 'MAIL' },
        { on: 'MAIL', reply: '421 4.7.0 Too many messages in this session', then: 'close' },
      ];
      const rig = await startRig({ sessions: [tooMany], query: 'max_connections=2' });
      onTestFinished(() => rig.stop());

      const ids = [];
      for (let i = 0; i < EMAILS; i++) ids.push(await rig.send(numbered(i)));
      const emails = await allSent(rig.pipeline, ids);

      expect(acceptedIds(rig.relay, ids).sort()).toEqual([...ids].sort());
      expect(emails.flatMap(eventTypes)).not.toContain('uncertain');
      for (const session of rig.relay.sessions) {
        const lines = session.commands.map((command) => command.line);
        const refused = lines.filter((line) => line.startsWith('MAIL')).length > 3;
        // After the 421 nothing more is written on that connection (RFC 5321 section 3.8).
        if (refused) expect(lines.at(-1)).toMatch(/^MAIL FROM:/);
      }
    });

  it('when idle: the next email finds the connection gone and opens a fresh one', async () => {
    const idleClose = [{ on: 'end-of-data', idleCloseAfterMs: 200 }];
    const rig = await startRig({ sessions: [idleClose] });
    onTestFinished(() => rig.stop());

    const ids = [];
    for (let i = 0; i < 3; i++) {
      const id = await rig.send(numbered(i));
      await rig.pipeline.waitFor(id, (e) => e.status === 'sent');
      await sleep(500);
      ids.push(id);
    }
    const emails = await allSent(rig.pipeline, ids);

    expect(emails.map((email) => email.attempts)).toEqual([1, 1, 1]);
    expect(rig.relay.sessions).toHaveLength(3);
    expect(acceptedIds(rig.relay, ids)).toEqual(ids);
  });
});
