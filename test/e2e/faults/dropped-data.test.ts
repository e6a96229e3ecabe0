/**
 * A connection lost before the final dot of DATA: the relay discards an unfinished
 * transaction (RFC 5321 section 4.1.1.4), so the email is safe to send again, and is sent
 * exactly once by the next attempt.
 */
import { randomBytes } from 'node:crypto';

import { describe, expect, it, onTestFinished } from 'vitest';

import { startPipeline } from '../../support/pipeline.js';
import { startScriptedRelay } from '../../support/scripted-relay.js';
import { startCuttingProxy } from './cutting-proxy.js';
import {
  completedDataFor, dataFor, eventTypes, MESSAGE, relayUrl, sendEmail, startRig,
} from './fault-rig.js';

/** Far more than the socket buffers hold, so the cut comes while the body is being written. */
const LARGE_ATTACHMENT_BYTES = 1_000_000;
const CUT_AFTER_BYTES = 64 * 1024;

describe('a connection dropped during DATA', () => {
  it('in the middle of the body: deferred as relay_connection_failed, then sent once',
    async () => {
      const relay = await startScriptedRelay();
      onTestFinished(() => relay.close());
      const proxy = await startCuttingProxy(relay, { cutAfterBytes: CUT_AFTER_BYTES });
      onTestFinished(() => proxy.close());
      const pipeline = await startPipeline({ smtpUrl: relayUrl(proxy), caPem: relay.caPem });
      onTestFinished(() => pipeline.stop());
      const attachment = {
        filename: 'statement.pdf',
        content: randomBytes(LARGE_ATTACHMENT_BYTES).toString('base64'),
        contentType: 'application/pdf',
      };

      const id = await sendEmail(pipeline, { ...MESSAGE, attachments: [attachment] });
      const deferred = await pipeline.waitFor(id, (e) => e.status === 'deferred', 20_000);
      const sent = await pipeline.waitFor(id, (e) => e.status === 'sent', 20_000);

      expect(proxy.cuts).toBe(1);
      expect(deferred.reason).toBe('relay_connection_failed');
      expect(deferred.recipients[0]?.status).toBe('deferred');
      const [cut, delivered, ...more] = dataFor(relay, id);
      expect(cut?.completed).toBe(false);
      expect(cut?.raw.length).toBeGreaterThan(0);
      expect(delivered?.completed).toBe(true);
      expect(delivered?.raw.length).toBeGreaterThan(LARGE_ATTACHMENT_BYTES);
      expect(more).toEqual([]);
      expect(sent.attempts).toBe(2);
      expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'deferred', 'attempt', 'sent']);
    });

  it('at the DATA command, before any reply: deferred, then sent once', async () => {
    const rig = await startRig({ sessions: [[{ on: 'DATA', action: 'close' }], []] });
    onTestFinished(() => rig.stop());

    const id = await rig.send(MESSAGE);
    const deferred = await rig.pipeline.waitFor(id, (e) => e.status === 'deferred');
    const sent = await rig.pipeline.waitFor(id, (e) => e.status === 'sent');

    expect(deferred.reason).toBe('relay_connection_failed');
    expect(sent.attempts).toBe(2);
    expect(eventTypes(sent)).toEqual(['queued', 'attempt', 'deferred', 'attempt', 'sent']);
    expect(completedDataFor(rig.relay, id)).toHaveLength(1);
  });
});
