/**
 * C-09: international addresses against relays with and without SMTPUTF8 (RFC 6531).
 * Without it an IDN domain goes out as its A-label, and a UTF-8 local part, which has no
 * ASCII form, fails for that recipient alone: not a bounce, and not retried.
 */
import { describe, expect, it, onTestFinished } from 'vitest';

import {
  caseBody, caseScripts, commandLines, completedDataFor, eventsOf, eventTypes, sleep,
  startRig, waitForIdleQueue,
} from './fault-rig.js';

const [withoutUtf8, withUtf8] = caseScripts('C-09');
const body = caseBody('C-09');
const envelopeLines = (lines: string[]) => lines.filter((line) => /^(MAIL|RCPT) /i.test(line));

describe('international addresses', () => {
  it('C-09: without SMTPUTF8 the IDN domain goes out as an A-label and the UTF-8 local part '
    + 'fails cleanly', async () => {
    const rig = await startRig({ sessions: [withoutUtf8!] });
    onTestFinished(() => rig.stop());

    const id = await rig.send(body);
    const email = await rig.pipeline.waitFor(id, (e) => e.status === 'partially_sent');
    await sleep(3_000); // longer than the longest retry delay (2 s)
    await waitForIdleQueue(rig.pipeline);
    const later = await rig.pipeline.waitFor(id, () => true);

    const envelope = envelopeLines(commandLines(rig.relay));
    expect(envelope.filter((line) => line.startsWith('RCPT')))
      .toEqual(['RCPT TO:<jorg@xn--bcher-kva.example>']);
    expect(envelope.every((line) => /^[\x20-\x7e]*$/.test(line))).toBe(true);
    expect(envelope.some((line) => /SMTPUTF8/i.test(line))).toBe(false);
    expect(envelope.some((line) => /xn--.*@/i.test(line))).toBe(false);
    expect(completedDataFor(rig.relay, id).map((t) => t.recipients))
      .toEqual([['jorg@xn--bcher-kva.example']]);

    const [jorg, jose] = email.recipients;
    expect(jorg).toMatchObject({ address: 'jorg@bücher.example', status: 'sent' });
    expect(jose).toMatchObject({
      address: 'josé.müller@example.org',
      status: 'failed',
      reason: 'relay_cannot_send_address',
      enhancedStatus: '5.6.7',
    });
    expect(eventTypes(later)).not.toContain('bounced');
    expect(eventsOf(later, 'failed')).toEqual([
      expect.objectContaining({ reason: 'relay_cannot_send_address' }),
    ]);
    expect(later.status).toBe('partially_sent');
    expect(later.attempts).toBe(1);
  });

  it('C-09 variant: with SMTPUTF8 the envelope asks for it and both recipients get the email',
    async () => {
      const rig = await startRig({ sessions: [withUtf8!] });
      onTestFinished(() => rig.stop());

      const id = await rig.send(body);
      const email = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

      const envelope = envelopeLines(commandLines(rig.relay));
      expect(envelope.find((line) => line.startsWith('MAIL'))).toMatch(/ SMTPUTF8\b/);
      expect(envelope.filter((line) => line.startsWith('RCPT'))).toEqual([
        'RCPT TO:<jorg@bücher.example>',
        'RCPT TO:<josé.müller@example.org>',
      ]);
      expect(email.recipients.map((r) => r.status)).toEqual(['sent', 'sent']);
      expect(completedDataFor(rig.relay, id)).toHaveLength(1);
    });
});
