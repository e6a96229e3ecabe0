import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RealRelay, startRealRelay } from '../support/real-relay.js';
import {
  expectAuthRefusal, expectSampleInMaildir, expectSentRecord, sendSample, waitForFiles,
} from '../support/real-relay-checks.js';

/**
 * Debian's Exim 4.96 on 127.0.0.1 as the upstream relay: STARTTLS, then AUTH. It offers no
 * ENHANCEDSTATUSCODES, so its replies carry no x.y.z code.
 */
describe('delivery through a real Exim relay', () => {
  let relay: RealRelay;
  let pipeline: Pipeline;

  // The first run installs Exim's libraries and downloads its package from Debian's mirror.
  beforeAll(async () => {
    relay = await startRealRelay('exim');
    pipeline = await startPipeline({ smtpUrl: relay.url, caPem: relay.caPem });
  }, 300_000);
  afterAll(async () => {
    await pipeline?.stop();
    await relay?.stop();
  }, 60_000);

  it('delivers one intact copy per recipient, with Exim\'s reply and message id', async () => {
    const before = relay.files();
    const sample = await sendSample(pipeline);
    const files = await waitForFiles(relay, before, 4);

    const queueId = expectSentRecord(sample.email, /^250 OK id=[0-9A-Za-z]+-[0-9A-Za-z]+-/);
    expect(queueId).toMatch(/^[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}$/);
    expect(sample.email.recipients[0]?.enhancedStatus).toBeUndefined();
    const delivered = await expectSampleInMaildir(files, sample, 'Envelope-to');
    for (const { raw } of delivered) {
      const received = raw.slice(0, raw.search(/\n\n/)).replace(/\n[ \t]+/g, ' ');
      expect(received).toMatch(/by relay\.test with esmtpsa\s+\(TLS1\.[23]\) tls /);
      expect(received).toContain(`id ${queueId}`);
    }
    // Exim's log line for the arrival: over TLS, authenticated as our user, all recipients.
    const arrival = readFileSync(relay.log, 'utf8').split('\n')
      .find((line) => line.includes(`${queueId} <= orders@example.com`));
    expect(arrival).toMatch(/ P=esmtpsa X=TLS1\.[23]:/);
    expect(arrival).toContain(` A=plain:${relay.user} `);
    expect(arrival).toContain(`id=${String(sample.email.messageId).replace(/^<|>$/g, '')}`);
  });

  it('defers with relay_auth_failed on a wrong password and delivers nothing', async () => {
    const wrong = await startPipeline({
      smtpUrl: `smtp://${relay.user}:wrong-password@127.0.0.1:${relay.port}`,
      caPem: relay.caPem,
    });
    try {
      await expectAuthRefusal(wrong, relay, /^535 Incorrect authentication data$/);
    } finally {
      await wrong.stop();
    }
  });
});
