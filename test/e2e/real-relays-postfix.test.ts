import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RealRelay, startRealRelay } from '../support/real-relay.js';
import {
  expectAuthRefusal, expectSampleInMaildir, expectSentRecord, sendSample, waitForFiles,
} from '../support/real-relay-checks.js';

/** Debian's Postfix 3.7 on 127.0.0.1 as the upstream relay: STARTTLS, then AUTH. */
describe('delivery through a real Postfix relay', () => {
  let relay: RealRelay;
  let pipeline: Pipeline;

  // The first run installs Postfix from Debian's mirror.
  beforeAll(async () => {
    relay = await startRealRelay('postfix');
    pipeline = await startPipeline({ smtpUrl: relay.url, caPem: relay.caPem });
  }, 300_000);
  afterAll(async () => {
    await pipeline?.stop();
    await relay?.stop();
  }, 60_000);

  it('delivers one intact copy per recipient, with Postfix\'s reply and queue id', async () => {
    const before = relay.files();
    const sample = await sendSample(pipeline);
    const files = await waitForFiles(relay, before, 4);

    const queueId = expectSentRecord(sample.email, /^250 2\.0\.0 Ok: queued as [0-9A-F]{6,}$/);
    expect(sample.email.recipients[0]?.enhancedStatus).toBe('2.0.0');
    const delivered = await expectSampleInMaildir(files, sample, 'Delivered-To');
    for (const { raw } of delivered) {
      // Postfix's own trace: TLS, AUTH (ESMTPSA) and the queue id Mailroom recorded.
      const received = raw.slice(0, raw.search(/\n\n/)).replace(/\n[ \t]+/g, ' ');
      expect(received).toMatch(/\(using TLSv1\.[23] with cipher /);
      expect(received).toContain(`(Authenticated sender: ${relay.user}@relay.test)`);
      expect(received).toContain(`by relay.test (Postfix) with ESMTPSA id ${queueId}`);
    }
  });

  it('defers with relay_auth_failed on a wrong password and delivers nothing', async () => {
    const wrong = await startPipeline({
      smtpUrl: `smtp://${relay.user}:wrong-password@127.0.0.1:${relay.port}`,
      caPem: relay.caPem,
    });
    try {
      await expectAuthRefusal(wrong, relay, /^535 5\.7\.8 Error: authentication failed/);
    } finally {
      await wrong.stop();
    }
  });

  it('runs with Debian\'s default, which accepts bare LFs (see the bare-LF test file)', () => {
    expect(readFileSync(`${relay.workdir}/etc/main.cf`, 'utf8'))
      .not.toMatch(/smtpd_forbid_bare_newline/);
  });
});
