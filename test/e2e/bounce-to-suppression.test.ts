/**
 * The whole path from a refusal to the suppression list, as a sender sees it: a relay's 550
 * and a DSN for another email become signed `email.bounced` webhooks, both addresses are
 * suppressed, and a later email to them never reaches the relay.
 */
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildWebhookDeps } from '../../functions/webhooks/build-webhook-deps.js';
import { startWebhookLoop, type WebhookLoop } from '../../functions/webhooks/webhook-loop.js';
import type { WebhookEvent } from '../../shared/events/webhook-event.js';
import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';
import {
  type RecordedRequest, signedWith, startReceiver,
} from '../shared/webhooks/webhook-receiver.js';

const INBOUND_KEY = 'inbound-key-0123456789abcdef';
const GONE = 'gone@example.org';
const MOVED = 'moved.on@example.org';

const postfixDsn = readFileSync(
  new URL('../fixtures/cases/dsn/postfix-user-unknown-alias.eml', import.meta.url), 'utf8',
);

describe('from a refusal to the suppression list', () => {
  let relay: RecordingRelay;
  let pipeline: Pipeline;
  let loop: WebhookLoop;

  const sendTo = async (to: string | string[], subject: string): Promise<string> => {
    const response = await pipeline.send({ from: 'orders@example.com', to, subject, text: 'x' });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  const authorized = (method: string, body?: unknown) => ({
    method,
    headers: { authorization: `Bearer ${pipeline.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

  beforeAll(async () => {
    relay = await startRecordingRelay();
    pipeline = await startPipeline({
      smtpUrl: relay.url,
      caPem: relay.caPem,
      env: {
        MAILROOM_INBOUND_KEY: INBOUND_KEY,
        MAILROOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
        MAILROOM_FEED_SETTLE_SECONDS: '1',
      },
    });
    const noDns = async (host: string): Promise<string[]> => {
      throw new Error(`a test asked DNS for ${host}`);
    };
    loop = startWebhookLoop(buildWebhookDeps(pipeline.config, { resolve: noDns }), {
      intervalMs: 100,
    });
  });
  afterAll(async () => {
    await loop?.stop();
    await pipeline?.stop();
    await relay?.close();
  });

  it('bounces by 550 and by DSN, signs both webhooks, suppresses, skips the relay', async () => {
    const receiver = await startReceiver();
    const created = await fetch(`${pipeline.apiUrl}/v1/webhooks`, authorized('POST', {
      url: `${receiver.origin}/mailroom`, events: ['email.bounced', 'email.suppressed'],
    }));
    const { secret } = (await created.json()) as { secret: string };
    relay.rcptReply = (address) => (address === GONE
      ? { code: 550, message: `5.1.1 <${GONE}>: Recipient address rejected` }
      : undefined);

    const refusedId = await sendTo(GONE, 'First');
    await pipeline.waitFor(refusedId, (email) => email.status === 'bounced');
    const acceptedId = await sendTo(MOVED, 'Second');
    const accepted = await pipeline.waitFor(acceptedId, (email) => email.status === 'sent');
    const dsn = postfixDsn
      .replace(/<CASE-\d+@mail\.example\.com>/g, String(accepted.messageId))
      .replace(/a\.lima@example\.org/g, MOVED);
    const intake = await fetch(`${pipeline.apiUrl}/v1/inbound/dsn`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INBOUND_KEY}`, 'content-type': 'message/rfc822' },
      body: dsn,
    });
    const rcptsBefore = relay.log.rcpts.length;
    const thirdId = await sendTo(['gone@EXAMPLE.org', MOVED], 'Third');
    const third = await pipeline.waitFor(thirdId, (email) => email.status === 'suppressed');
    const hooks = await waitForRequests(receiver.requests, 3);

    expect(intake.status).toBe(202);
    expect(hooks.every((request) => signedWith(request, secret))).toBe(true);
    const events = hooks.map((request) => JSON.parse(request.body.toString()) as WebhookEvent);
    const bounced = events.filter((event) => event.type === 'email.bounced');
    expect(bounced.map((event) => [event.data.emailId, event.data.recipients]).sort())
      .toEqual([[acceptedId, [MOVED]], [refusedId, [GONE]]].sort());
    expect(bounced.find((e) => e.data.emailId === refusedId)?.data.smtp)
      .toMatchObject({ replyCode: 550, enhancedStatus: '5.1.1' });
    expect(events.find((event) => event.type === 'email.suppressed')?.data.emailId)
      .toBe(thirdId);
    for (const address of [GONE, MOVED]) {
      const entry = await fetch(`${pipeline.apiUrl}/v1/suppressions/${address}`,
        authorized('GET'));
      expect(entry.status).toBe(200);
    }
    expect(third.recipients.map((recipient) => recipient.status))
      .toEqual(['suppressed', 'suppressed']);
    expect(relay.log.rcpts.length).toBe(rcptsBefore);
  });
});

async function waitForRequests(requests: RecordedRequest[], count: number) {
  const deadline = Date.now() + 20_000;
  while (requests.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return requests;
}
