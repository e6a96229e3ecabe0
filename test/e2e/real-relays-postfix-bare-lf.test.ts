import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RealRelay, startRealRelay } from '../support/real-relay.js';
import {
  expectSampleInMaildir, expectSentRecord, sendSample, waitForFiles,
} from '../support/real-relay-checks.js';

/**
 * Postfix with smtpd_forbid_bare_newline = reject: it refuses any message in which a line
 * ends in a bare LF. Mailroom never sends one, so the same email must still be delivered.
 */
describe('delivery through a real Postfix that rejects bare LFs', () => {
  let relay: RealRelay;
  let pipeline: Pipeline;

  beforeAll(async () => {
    relay = await startRealRelay('postfix', { env: { RELAY_BARE_LF: 'reject' } });
    pipeline = await startPipeline({ smtpUrl: relay.url, caPem: relay.caPem });
  }, 300_000);
  afterAll(async () => {
    await pipeline?.stop();
    await relay?.stop();
  }, 60_000);

  it('is configured to reject bare LFs', () => {
    expect(readFileSync(`${relay.workdir}/etc/main.cf`, 'utf8'))
      .toMatch(/^smtpd_forbid_bare_newline = reject$/m);
  });

  it('still delivers the email with bare LFs and CRs in its text', async () => {
    const before = relay.files();
    const sample = await sendSample(pipeline);
    const files = await waitForFiles(relay, before, 4);

    expectSentRecord(sample.email, /^250 2\.0\.0 Ok: queued as [0-9A-F]{6,}$/);
    await expectSampleInMaildir(files, sample, 'Delivered-To');
  });
});
