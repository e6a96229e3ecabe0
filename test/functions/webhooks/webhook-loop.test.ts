/**
 * Stopping the local webhook dispatcher while a receiver is slow: the attempts in flight
 * finish, no new one starts, and what was not attempted is still due for the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildWebhookDeps } from '../../../functions/webhooks/build-webhook-deps.js';
import { startWebhookLoop } from '../../../functions/webhooks/webhook-loop.js';
import { eventually } from '../../support/eventually.js';
import { type Pipeline, startPipeline } from '../../support/pipeline.js';
import { startReceiver } from '../../shared/webhooks/webhook-receiver.js';

const EMAILS = 20;
const ANSWER_AFTER_MS = 1_000;
const noDns = async (host: string): Promise<string[]> => {
  throw new Error(`a test asked DNS for ${host}`);
};

describe('the webhook loop on stop', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      worker: false,
      env: { MAILROOM_ALLOW_PRIVATE_WEBHOOKS: 'true' },
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('finishes what is in flight, starts nothing more, and leaves the rest due', async () => {
    const receiver = await startReceiver({
      respond: (_request, response) => {
        setTimeout(() => response.writeHead(204).end(), ANSWER_AFTER_MS);
      },
    });
    const created = await fetch(`${pipeline.apiUrl}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pipeline.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.origin}/slow`, events: ['email.queued'] }),
    });
    expect(created.status).toBe(201);
    for (let n = 0; n < EMAILS; n++) {
      await pipeline.send({
        from: 'a@example.com', to: `r${n}@example.org`, subject: 's', text: 't',
      });
    }
    const first = startWebhookLoop(
      buildWebhookDeps(pipeline.config, { resolve: noDns }), { intervalMs: 100 },
    );
    await eventually(() => receiver.requests.length > 0, 30_000, 20);

    const stopStarted = Date.now();
    await first.stop();
    const stopMs = Date.now() - stopStarted;
    const atStop = receiver.requests.length;
    await new Promise((resolve) => setTimeout(resolve, ANSWER_AFTER_MS * 2));
    const afterStop = receiver.requests.length;
    const second = startWebhookLoop(
      buildWebhookDeps(pipeline.config, { resolve: noDns }), { intervalMs: 100 },
    );
    await eventually(() => new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size
      >= EMAILS, 30_000, 20);
    await second.stop();

    expect(atStop).toBeLessThan(EMAILS);
    expect(afterStop).toBe(atStop);
    expect(stopMs).toBeLessThan(ANSWER_AFTER_MS * 4);
  });
});
