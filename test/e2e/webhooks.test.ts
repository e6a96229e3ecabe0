/**
 * Webhooks end to end: the API, the worker and a real STARTTLS + AUTH relay on loopback,
 * and the webhook dispatcher running in this process, posting to HTTP receivers on
 * 127.0.0.1. Retries and disabling run on a compressed schedule (1 s retries, disabled
 * after 3.6 s of failures); every request a receiver gets is checked against its secret.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import tls from 'node:tls';

import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { createApp } from '../../functions/api/app.js';
import { buildApiDeps } from '../../functions/api/build-api-deps.js';
import { buildWebhookDeps, type WebhookDeps } from '../../functions/webhooks/build-webhook-deps.js';
import { runWebhookPasses } from '../../functions/webhooks/run-webhook-passes.js';
import { startWebhookLoop, type WebhookLoop } from '../../functions/webhooks/webhook-loop.js';
import { createCertificateAuthority, issueServerCertificate } from '../../local/certificates.js';
import { callCounts } from '../../shared/aws/call-counter.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from '../../shared/events/webhook-event.js';
import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';
import {
  connectSpy, fakeResolver, type RecordedRequest, signedWith, startReceiver,
  type WebhookReceiver,
} from '../shared/webhooks/webhook-receiver.js';

// Response bodies are checked field by field below; their shape is the test's subject.
type Json = any;

interface Received {
  request: RecordedRequest;
  event: WebhookEvent;
  arrivedAt: number;
}

/** No test here may ask real DNS: every receiver is an IP literal or answered for. */
const noDns = async (host: string): Promise<string[]> => {
  throw new Error(`a test asked DNS for ${host}`);
};

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>,
  ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Records arrival times beside the requests the receiver keeps. */
function arrivals(receiver: WebhookReceiver): Received[] {
  return receiver.requests.map((request) => ({
    request,
    event: JSON.parse(request.body.toString('utf8')) as WebhookEvent,
    arrivedAt: (request as RecordedRequest & { arrivedAt?: number }).arrivedAt ?? 0,
  }));
}

/** A receiver's answer that first notes when the request arrived. */
function stamped(respond?: (request: RecordedRequest, response: ServerResponse) => void) {
  return (request: RecordedRequest, response: ServerResponse) => {
    Object.assign(request, { arrivedAt: Date.now() });
    if (respond) respond(request, response);
    else response.writeHead(204).end();
  };
}


describe('webhooks from a running pipeline, to receivers on 127.0.0.1', () => {
  let relay: RecordingRelay;
  let pipeline: Pipeline;
  let webhooks: WebhookDeps;
  let loop: WebhookLoop;

  const api = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const response = await fetch(`${pipeline.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${pipeline.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: response.status,
      body: response.status === 204 ? null : await response.json(),
    };
  };

  /** Registers an endpoint for this test and removes it afterwards. */
  const subscribe = async (
    receiver: WebhookReceiver,
    events: readonly string[] = WEBHOOK_EVENT_TYPES,
  ): Promise<{ id: string; secret: string }> => {
    const created = await api('POST', '/v1/webhooks', { url: `${receiver.origin}/hooks`, events });
    expect(created.status).toBe(201);
    onTestFinished(async () => {
      await api('DELETE', `/v1/webhooks/${created.body.id}`);
    });
    return created.body;
  };

  const send = async (to: string): Promise<string> => {
    const response = await pipeline.send({
      from: 'orders@example.com', to, subject: 'Webhook test', text: 'Hi',
      tags: { suite: 'webhooks' },
    });
    return ((await response.json()) as { id: string }).id;
  };

  const eventsOf = (receiver: WebhookReceiver, emailId: string) =>
    arrivals(receiver).filter((entry) => entry.event.data.emailId === emailId);

  beforeAll(async () => {
    relay = await startRecordingRelay();
    pipeline = await startPipeline({
      smtpUrl: relay.url,
      caPem: relay.caPem,
      env: {
        MAILROOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
        MAILROOM_WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1,1',
        MAILROOM_WEBHOOK_DISABLE_AFTER_HOURS: '0.001',
        MAILROOM_FEED_SETTLE_SECONDS: '1',
      },
    });
    webhooks = buildWebhookDeps(pipeline.config, {
      resolve: noDns, timeoutMs: 3_000, endpointCacheMs: 100,
    });
    loop = startWebhookLoop(webhooks, { intervalMs: 100 });
  });
  afterEach(() => {
    relay.rcptReply = () => undefined;
  });
  afterAll(async () => {
    await loop?.stop();
    await pipeline?.stop();
    await relay?.close();
  });

  it('posts a signed event for every step: queued, deferred (greylisted), sent, bounced',
    async () => {
      const receiver = await startReceiver({ respond: stamped() });
      const { id: hookId, secret } = await subscribe(receiver);
      let greylisted = false;
      relay.rcptReply = (address) => {
        if (address === 'grey@example.org' && !greylisted) {
          greylisted = true;
          return { code: 451, message: '4.7.1 Greylisted, please try again later' };
        }
        if (address === 'nobody@example.org') {
          return { code: 550, message: '5.1.1 <nobody@example.org>: Recipient address rejected' };
        }
        return undefined;
      };

      const grey = await send('grey@example.org');
      const bounced = await send('nobody@example.org');
      await pipeline.waitFor(grey, (email) => email.status === 'sent');
      await pipeline.waitFor(bounced, (email) => email.status === 'bounced');
      const greyEvents = await until('the greylisted email\'s events', () => {
        const found = eventsOf(receiver, grey);
        return found.length >= 3 ? found : undefined;
      });
      const bounceEvents = await until('the bounced email\'s events', () => {
        const found = eventsOf(receiver, bounced);
        return found.length >= 2 ? found : undefined;
      });
      const byId = (a: Received, b: Received) => a.event.id.localeCompare(b.event.id);

      expect(greyEvents.sort(byId).map((entry) => entry.event.type))
        .toEqual(['email.queued', 'email.deferred', 'email.sent']);
      expect(bounceEvents.sort(byId).map((entry) => entry.event.type))
        .toEqual(['email.queued', 'email.bounced']);
      expect(bounceEvents[1]?.event.data).toMatchObject({
        emailId: bounced,
        recipients: ['nobody@example.org'],
        tags: { suite: 'webhooks' },
        smtp: { replyCode: 550, enhancedStatus: '5.1.1' },
      });
      expect(greyEvents[1]?.event.data.smtp).toMatchObject({ replyCode: 451 });
      for (const { request, event } of [...greyEvents, ...bounceEvents]) {
        expect(signedWith(request, secret)).toBe(true);
        expect(request.headers['webhook-id']).toBe(event.id);
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.url).toBe('/hooks');
        expect(event.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      }
      const [first] = greyEvents;
      const tampered = {
        ...first!.request,
        body: Buffer.concat([first!.request.body, Buffer.from(' ')]),
      };
      expect(signedWith(tampered, secret)).toBe(false);
      expect(signedWith(first!.request, `whsec_${randomBytes(32).toString('base64')}`)).toBe(false);

      // An attempt's log entry is written after the receiver's answer arrives.
      const endpoint = await until('five log entries', async () => {
        const { body } = await api('GET', `/v1/webhooks/${hookId}`);
        return body.deliveryLog.length >= 5 ? body : undefined;
      });
      expect(endpoint.deliveryLog[0]).toMatchObject({
        kind: 'attempt', ok: true, statusCode: 204, attempt: 1, durationMs: expect.any(Number),
      });
    });

  it('retries a failed delivery with the same webhook-id and the same bytes', async () => {
    const answered = new Set<string>();
    const receiver = await startReceiver({
      respond: stamped((request, response) => {
        const id = String(request.headers['webhook-id']);
        if (answered.has(id)) return void response.writeHead(200).end();
        answered.add(id);
        response.writeHead(500).end('internal details of the receiver');
      }),
    });
    const { id: hookId, secret } = await subscribe(receiver, ['email.sent']);

    const emailId = await send('ana.lima@example.org');
    const [failed, retried] = await until('the retried delivery', () => {
      const found = eventsOf(receiver, emailId);
      return found.length >= 2 ? found : undefined;
    });

    expect(failed!.request.headers['webhook-id']).toBe(retried!.request.headers['webhook-id']);
    expect(retried!.request.body.equals(failed!.request.body)).toBe(true);
    expect(signedWith(failed!.request, secret)).toBe(true);
    expect(signedWith(retried!.request, secret)).toBe(true);
    const gap = retried!.arrivedAt - failed!.arrivedAt;
    expect(gap).toBeGreaterThanOrEqual(850);
    expect(gap).toBeLessThan(3_000);

    const { body: endpoint } = await until('the retry in the log', async () => {
      const read = await api('GET', `/v1/webhooks/${hookId}`);
      return read.body.deliveryLog.length >= 2 ? read : undefined;
    });
    expect(endpoint.deliveryLog.slice(0, 2)).toMatchObject([
      { kind: 'attempt', attempt: 2, ok: true, statusCode: 200, eventType: 'email.sent' },
      { kind: 'attempt', attempt: 1, ok: false, statusCode: 500, error: 'receiver answered 500' },
    ]);
    expect(JSON.stringify(endpoint)).not.toContain('internal details');
    expect(endpoint.status).toBe('enabled');
  });

  it('disables an endpoint that keeps failing, stops its deliveries, and enables it again',
    async () => {
      const receiver = await startReceiver({
        respond: stamped((_request, response) => response.writeHead(503).end()),
      });
      const { id: hookId } = await subscribe(receiver, ['email.queued', 'email.sent']);

      await send('ana.lima@example.org');
      const disabled = await until('the endpoint to be disabled', async () => {
        const read = await api('GET', `/v1/webhooks/${hookId}`);
        return read.body.status === 'disabled' ? read.body : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const attemptsAtDisable = receiver.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 2_500));

      expect(disabled).toMatchObject({
        status: 'disabled',
        disabledAt: expect.any(String),
        disabledReason: expect.stringMatching(/failed .*receiver answered 503$/),
      });
      expect(disabled.deliveryLog[0]).toMatchObject({
        kind: 'disabled', reason: disabled.disabledReason, at: disabled.disabledAt,
      });
      expect(disabled.deliveryLog.slice(1).every((entry: Json) => entry.ok === false)).toBe(true);
      expect(attemptsAtDisable).toBeGreaterThanOrEqual(4);
      expect(receiver.requests.length).toBe(attemptsAtDisable);

      const enabled = await api('POST', `/v1/webhooks/${hookId}/enable`);
      expect(enabled).toMatchObject({ status: 200, body: { id: hookId, status: 'enabled' } });
      expect(enabled.body.disabledReason).toBeUndefined();
    });

  it('signs with both secrets during a rotation, so either one verifies', async () => {
    const receiver = await startReceiver({ respond: stamped() });
    const { id: hookId, secret: oldSecret } = await subscribe(receiver, ['email.sent']);
    const rotated = await api('POST', `/v1/webhooks/${hookId}/rotate-secret`);
    const newSecret = rotated.body.secret as string;

    const emailId = await send('ana.lima@example.org');
    const [received] = await until('the sent event', () => {
      const found = eventsOf(receiver, emailId);
      return found.length >= 1 ? found : undefined;
    });

    expect(rotated.status).toBe(200);
    expect(newSecret).not.toBe(oldSecret);
    expect(String(received!.request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(signedWith(received!.request, oldSecret)).toBe(true);
    expect(signedWith(received!.request, newSecret)).toBe(true);
    const stranger = `whsec_${randomBytes(32).toString('base64')}`;
    expect(signedWith(received!.request, stranger)).toBe(false);
  });

  it('replays the settled events after a cursor with their original ids', async () => {
    const receiver = await startReceiver({ respond: stamped() });
    const { id: hookId, secret } = await subscribe(receiver, ['email.queued', 'email.sent']);
    const emailId = await send('ana.lima@example.org');
    const firstRun = await until('the queued and sent events', () => {
      const found = eventsOf(receiver, emailId);
      return found.length >= 2 ? found : undefined;
    });
    const queued = firstRun.find((entry) => entry.event.type === 'email.queued')!;
    const sent = firstRun.find((entry) => entry.event.type === 'email.sent')!;
    // The feed shows events once they have settled (1 s in this pipeline).
    await until('the sent event to settle', () =>
      (Date.now() > Date.parse(sent.event.createdAt) + 1_500 ? true : undefined));

    const replay = await api('POST', `/v1/webhooks/${hookId}/replay`, {
      after: queued.event.cursor,
    });
    const again = await until('the replayed event', () => {
      const found = eventsOf(receiver, emailId).filter((entry) => entry.event.id === sent.event.id);
      return found.length >= 2 ? found[1] : undefined;
    });

    expect(replay.status).toBe(202);
    expect(replay.body.queued).toBeGreaterThanOrEqual(1);
    expect(replay.body.nextCursor).toBeNull();
    expect(again.request.body.equals(sent.request.body)).toBe(true);
    expect(signedWith(again.request, secret)).toBe(true);
    const queuedCopies = eventsOf(receiver, emailId).filter((e) => e.event.id === queued.event.id);
    expect(queuedCopies).toHaveLength(1);
  });

  it('keeps sending mail, and posting to other endpoints, while a receiver hangs', async () => {
    const hanging = await startReceiver({ respond: stamped(() => {}) });
    const fast = await startReceiver({ respond: stamped() });
    await subscribe(hanging, ['email.queued', 'email.sent']);
    await subscribe(fast, ['email.queued', 'email.sent']);
    const started = Date.now();

    const emailId = await send('ana.lima@example.org');
    await until('the hanging receiver to hold a request', () =>
      (eventsOf(hanging, emailId).length > 0 ? true : undefined));
    await pipeline.waitFor(emailId, (email) => email.status === 'sent');
    const sentAfter = Date.now() - started;
    const fastSent = await until('the fast receiver\'s sent event', () =>
      eventsOf(fast, emailId).find((entry) => entry.event.type === 'email.sent'));

    // Attempts to the hanging receiver time out after 3 s; everything else is quicker.
    expect(sentAfter).toBeLessThan(2_500);
    expect(fastSent.arrivedAt - started).toBeLessThan(2_500);
    expect(eventsOf(hanging, emailId).every((entry) => entry.arrivedAt - started < 2_500))
      .toBe(true);
  });
});

describe('a webhook whose receiver redirects to loopback, with production settings (C-08)', () => {
  const PUBLIC = '93.184.216.34';
  const REDIRECTING = 'https://hooks.example.com/redirect-to-loopback';
  let pipeline: Pipeline;

  beforeAll(async () => {
    // No worker: the queued event of an accepted email is all these tests need.
    pipeline = await startPipeline({
      worker: false,
      env: { MAILROOM_WEBHOOK_RETRY_SCHEDULE: '60' },
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const accept = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let n = 0; n < count; n++) {
      const response = await pipeline.send({
        from: 'orders@example.com', to: 'ana.lima@example.org', subject: `n${n}`, text: 'Hi',
      });
      ids.push(((await response.json()) as { id: string }).id);
    }
    return ids;
  };

  it('clears the dispatch index in batches when no endpoint subscribes', async () => {
    const ids = await accept(105);
    const deps = buildWebhookDeps(pipeline.config, { resolve: noDns });
    const before = callCounts();

    const counts = await deps.dispatcher.dispatch();
    const after = callCounts();
    const calls = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);

    expect(counts).toEqual({ events: ids.length, deliveries: 0 });
    expect(await deps.dispatcher.dispatch()).toEqual({ events: 0, deliveries: 0 });
    expect(calls('DynamoDB.TransactWriteItems')).toBeLessThanOrEqual(3);
    expect(calls('DynamoDB.Query')).toBeLessThanOrEqual(8);
  });

  it('registers the public name, posts once, and never follows the redirect', async () => {
    const ca = createCertificateAuthority('Webhook Test CA');
    const listener = await startReceiver({
      respond: (_request, response) => response.writeHead(200).end('pwned'),
    });
    const location = `http://127.0.0.1:${listener.port}/`;
    const publicHost = await startReceiver({
      tls: issueServerCertificate(ca, ['hooks.example.com']),
      respond: (_request, response) => response.writeHead(302, { location }).end(location),
    });
    const resolve = fakeResolver({ 'hooks.example.com': [PUBLIC] });
    // Stands in for the route to the public address: TLS to the loopback receiver.
    const connect = connectSpy((target) => tls.connect({
      host: '127.0.0.1', port: publicHost.port, servername: target.servername, ca: ca.certPem,
    }));
    const apiDeps = buildApiDeps(pipeline.config);
    apiDeps.webhooks.resolveHost = resolve;
    const app = createApp(apiDeps);
    const request = (method: string, path: string, body?: unknown) => app.request(path, {
      method,
      headers: { authorization: `Bearer ${pipeline.apiKey}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const created = await request('POST', '/v1/webhooks', {
      url: REDIRECTING, events: ['email.queued'],
    });
    const { id: hookId } = await created.json() as { id: string };
    const deps = buildWebhookDeps(pipeline.config, { resolve, connect, endpointCacheMs: 0 });

    await accept(1);
    await runWebhookPasses(deps, { budgetMs: 10_000 });
    const endpoint = await (await request('GET', `/v1/webhooks/${hookId}`)).json() as Json;

    expect(created.status).toBe(201);
    expect(publicHost.requests).toHaveLength(1);
    expect(listener.requests).toHaveLength(0);
    expect(connect.targets.map((target) => target.address)).toEqual([PUBLIC]);
    expect(endpoint.deliveryLog).toEqual([expect.objectContaining({
      kind: 'attempt', ok: false, statusCode: 302,
      error: 'receiver answered 302; redirects are not followed',
    })]);
    expect(JSON.stringify(endpoint)).not.toContain(location);
  });
});
