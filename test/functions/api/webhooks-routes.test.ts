import { readFileSync } from 'node:fs';

import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../../../functions/api/app.js';
import { buildApiDeps } from '../../../functions/api/build-api-deps.js';
import { loadConfig } from '../../../shared/config/config.js';
import { idFloor } from '../../../shared/ids/new-id.js';
import { createLogger } from '../../../shared/log/logger.js';
import { EmailStore } from '../../../shared/store/email-store.js';
import { EndpointStore } from '../../../shared/webhooks/endpoint-store.js';
import { activeSecrets } from '../../../shared/webhooks/webhook-endpoint.js';
import { endpointPk } from '../../../shared/webhooks/webhook-keys.js';
import {
  createTestTable, startTestQueues, type TestQueues, type TestTable,
} from '../../support/aws-test-env.js';
import { emailRecord } from '../../support/factories.js';
import { fakeResolver } from '../../shared/webhooks/webhook-receiver.js';

const KEY = 'webhook-route-key-0123456789';
// Response bodies are checked field by field below; their shape is the test's subject.
const json = (response: Response): Promise<any> => response.json();

/** What the test DNS answers; nothing is ever asked of real DNS. */
const resolver = fakeResolver({
  'hooks.example.com': ['93.184.216.34'],
  'receiver.example.net': ['93.184.216.35', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.1.2.3'],
  'rebind.example.com': ['93.184.216.36', '127.0.0.1'],
});

interface Case {
  id: string;
  input: { urls: string[] };
}
const c08 = (JSON.parse(readFileSync(
  new URL('../../fixtures/cases/cases.json', import.meta.url), 'utf8',
)) as Case[]).find((entry) => entry.id === 'C-08') as Case;
/** The one C-08 URL on a public name: it may register; its redirect is never followed. */
const REDIRECTING = 'https://hooks.example.com/redirect-to-loopback';

describe('webhook routes, in process against DynamoDB Local', () => {
  let table: TestTable;
  let queues: TestQueues;
  let production: Hono;
  let development: Hono;
  let endpoints: EndpointStore;
  const logLines: string[] = [];

  const appFor = (allowPrivate: boolean): Hono => {
    const deps = buildApiDeps(loadConfig({
      MAILROOM_API_KEY: KEY,
      MAILROOM_TABLE: table.tableName,
      MAILROOM_QUEUE_URL: queues.sendQueueUrl,
      MAILROOM_WEBHOOK_QUEUE_URL: queues.webhookQueueUrl,
      MAILROOM_DYNAMODB_ENDPOINT: table.endpoint,
      MAILROOM_SQS_ENDPOINT: queues.endpoint,
      MAILROOM_ALLOW_PRIVATE_WEBHOOKS: String(allowPrivate),
    }));
    deps.webhooks.resolveHost = resolver;
    deps.logger = createLogger({ level: 'debug', write: (line) => logLines.push(line) });
    endpoints = deps.webhooks.endpoints;
    return createApp(deps);
  };

  const call = (app: Hono, path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json: body, ...rest } = init;
    return app.request(path, {
      ...rest,
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  };
  const create = (body: unknown, app = production) =>
    call(app, '/v1/webhooks', { method: 'POST', json: body });

  let store: EmailStore;
  let made = 0;
  /** An event in the account's feed at `time` (ids made out of time order, so built here). */
  const putEvent = async (time: number, type: 'sent' | 'bounced' = 'sent') => {
    const id = `${idFloor('ev', time).slice(0, -4)}${String(made++).padStart(4, '0')}`;
    const item = store.eventItem(emailRecord(), { id, type, at: new Date(time).toISOString() });
    await store.documents.send(new PutCommand({ TableName: table.tableName, Item: item }));
    return id;
  };
  const cursorOf = (eventId: string) => Buffer.from(eventId).toString('base64url');

  beforeAll(async () => {
    table = await createTestTable();
    store = new EmailStore(table.client, table.tableName);
    queues = await startTestQueues();
    production = appFor(false);
    development = appFor(true);
  });
  afterAll(async () => {
    await queues?.stop();
    await table?.remove();
  });

  describe('create, read, list and delete', () => {
    it('creates an enabled endpoint and shows its secret in that response only', async () => {
      const response = await create({
        url: 'https://Receiver.Example.NET:8443/hooks?source=mailroom',
        events: ['email.sent', 'email.bounced', 'email.sent'],
      });
      const created = await json(response);

      const read = await json(await call(production, `/v1/webhooks/${created.id}`));
      const list = await json(await call(production, '/v1/webhooks?limit=100'));

      expect(response.status).toBe(201);
      expect(created).toMatchObject({
        id: expect.stringMatching(/^wh_[0-9a-z]{26}$/),
        url: 'https://receiver.example.net:8443/hooks?source=mailroom',
        events: ['email.sent', 'email.bounced'],
        status: 'enabled',
        createdAt: expect.any(String),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      });
      expect(read).toEqual({
        id: created.id,
        url: created.url,
        events: created.events,
        status: 'enabled',
        createdAt: created.createdAt,
        updatedAt: created.createdAt,
        deliveryLog: [],
      });
      expect(list.data.find((entry: { id: string }) => entry.id === created.id)).toEqual({
        id: created.id, url: created.url, events: created.events, status: 'enabled',
        createdAt: created.createdAt, updatedAt: created.createdAt,
      });
      expect(JSON.stringify([read, list])).not.toContain('whsec_');
      expect(logLines.join('\n')).not.toContain(created.secret);
      expect(logLines.join('\n')).not.toContain('source=mailroom');
    });

    it('pages newest first with a cursor and refuses a tampered one', async () => {
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) {
        ids.push((await json(await create({
          url: `https://hooks.example.com/page/${n}`, events: ['email.queued'],
        }))).id);
      }

      const first = await json(await call(production, '/v1/webhooks?limit=2'));
      const second = await json(await call(production,
        `/v1/webhooks?limit=2&cursor=${first.nextCursor}`));
      const forged = Buffer.from(JSON.stringify({
        pk: 'A#other#W#wh_x', sk: 'W', gsi1pk: 'A#other#W', gsi1sk: 'wh_x',
      })).toString('base64url');
      const tampered = await call(production, `/v1/webhooks?cursor=${forged}`);

      expect(first.data.map((entry: { id: string }) => entry.id)).toEqual([ids[2], ids[1]]);
      expect(second.data[0].id).toBe(ids[0]);
      expect(tampered.status).toBe(400);
      expect((await json(tampered)).error.code).toBe('invalid_cursor');
    });

    it('deletes an endpoint, then answers 404 for it', async () => {
      const { id } = await json(await create({
        url: 'https://hooks.example.com/gone', events: ['email.sent'],
      }));

      const deleted = await call(production, `/v1/webhooks/${id}`, { method: 'DELETE' });
      const again = await call(production, `/v1/webhooks/${id}`, { method: 'DELETE' });
      const read = await call(production, `/v1/webhooks/${id}`);

      expect(deleted.status).toBe(204);
      expect(again.status).toBe(404);
      expect(read.status).toBe(404);
      expect((await json(read)).error.code).toBe('not_found');
    });

    it('answers 404 to malformed and unknown ids on every route', async () => {
      const paths = [
        ['GET', '/v1/webhooks/wh_0000000000aaaaaaaaaaaaaaaa'],
        ['GET', '/v1/webhooks/em_0000000000aaaaaaaaaaaaaaaa'],
        ['POST', '/v1/webhooks/wh_0000000000aaaaaaaaaaaaaaaa/rotate-secret'],
        ['POST', '/v1/webhooks/wh_0000000000aaaaaaaaaaaaaaaa/enable'],
        ['POST', '/v1/webhooks/nonsense/replay'],
      ] as const;

      const responses = await Promise.all(paths.map(([method, path]) =>
        call(production, path, method === 'GET' ? {} : { method, json: { after: 'x' } })));

      expect(responses.map((response) => response.status)).toEqual([404, 404, 404, 404, 404]);
    });
  });

  describe('validation', () => {
    it.each([
      ['no body fields', {}, ['events', 'url']],
      ['an empty event list', { url: 'https://hooks.example.com/a', events: [] }, ['events']],
      ['an unknown event type', {
        url: 'https://hooks.example.com/a', events: ['email.sent', 'email.opened'],
      }, ['events[1]']],
      ['an unknown field', {
        url: 'https://hooks.example.com/a', events: ['email.sent'], secret: 'mine',
      }, ['secret']],
      ['a URL that is not a string', { url: 42, events: ['email.sent'] }, ['url']],
      ['a URL over 2048 characters', {
        url: `https://hooks.example.com/${'a'.repeat(2048)}`, events: ['email.sent'],
      }, ['url']],
    ])('refuses %s with 400 naming the fields', async (_name, body, paths) => {
      const response = await create(body);
      const { error } = await json(response);

      expect(response.status).toBe(400);
      expect(error.code).toBe('validation_failed');
      expect(error.details.map((detail: { path: string }) => detail.path).sort()).toEqual(paths);
    });

    it('refuses a body that is not JSON', async () => {
      const response = await call(production, '/v1/webhooks', {
        method: 'POST', body: 'url=x', headers: { 'content-type': 'text/plain' },
      });

      expect(response.status).toBe(415);
    });
  });

  describe('URL checks against SSRF (C-08), production settings', () => {
    const refused = c08.input.urls.filter((url) => url !== REDIRECTING);

    it.each(refused)('refuses %s with 400 on the url field', async (url) => {
      const response = await create({ url, events: ['email.sent'] });
      const { error } = await json(response);

      expect(response.status).toBe(400);
      expect(error).toMatchObject({ code: 'validation_failed', details: [{ path: 'url' }] });
      expect(error.details).toHaveLength(1);
    });

    it.each(refused.filter((url) => url.startsWith('http://')))(
      'refuses %s also over https, for the address it reaches',
      async (url) => {
        const response = await create({
          url: url.replace(/^http:/, 'https:'), events: ['email.sent'],
        });
        const { error } = await json(response);

        expect(response.status).toBe(400);
        expect(error.details[0].path).toBe('url');
        expect(error.details[0].message).not.toMatch(/must use https/);
      },
    );

    it.each([
      ['https://internal.example.com/hook', /resolves to a forbidden private network address/],
      ['https://rebind.example.com/hook', /resolves to a forbidden loopback address/],
      ['https://unknown.example.com/hook', /could not be resolved/],
    ])('refuses %s for what its name resolves to', async (url, reason) => {
      const response = await create({ url, events: ['email.sent'] });
      const { error } = await json(response);

      expect(response.status).toBe(400);
      expect(error.details).toEqual([{ path: 'url', message: expect.stringMatching(reason) }]);
    });

    it('registers the public name of the redirecting case ' +
      '(its delivery never follows)', async () => {
      const response = await create({ url: REDIRECTING, events: ['email.sent'] });

      expect(response.status).toBe(201);
      expect(resolver.calls).toContain('hooks.example.com');
    });

    it('accepts http://127.0.0.1 only where private webhooks are allowed', async () => {
      const body = { url: 'http://127.0.0.1:9000/hook', events: ['email.sent'] };

      const refused = await create(body, production);
      const accepted = await create(body, development);
      const metadata = await create({
        url: 'http://169.254.169.254/latest/meta-data/', events: ['email.sent'],
      }, development);

      expect(refused.status).toBe(400);
      expect((await json(refused)).error.details[0]).toMatchObject({ path: 'url' });
      expect(accepted.status).toBe(201);
      expect((await json(accepted)).url).toBe('http://127.0.0.1:9000/hook');
      expect(metadata.status).toBe(400);
    });
  });

  describe('secret rotation', () => {
    it('returns a new secret; the previous one keeps signing for 24 hours', async () => {
      const created = await json(await create({
        url: 'https://hooks.example.com/rotate', events: ['email.sent'],
      }));

      const response = await call(production, `/v1/webhooks/${created.id}/rotate-secret`, {
        method: 'POST',
      });
      const { secret } = await json(response);
      const stored = await endpoints.get('acct_default', created.id);
      const now = Date.now();

      expect(response.status).toBe(200);
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(created.secret);
      expect(activeSecrets(stored!, new Date(now))).toEqual([secret, created.secret]);
      expect(activeSecrets(stored!, new Date(now + 23.9 * 3600_000))).toHaveLength(2);
      expect(activeSecrets(stored!, new Date(now + 24.1 * 3600_000))).toEqual([secret]);
      expect(logLines.join('\n')).not.toContain(secret);
    });
  });

  describe('enable and replay', () => {
    it('enables a disabled endpoint, clearing the reason and logging both changes', async () => {
      const { id } = await json(await create({
        url: 'https://hooks.example.com/flaky', events: ['email.sent'],
      }));
      const endpoint = (await endpoints.get('acct_default', id))!;
      await endpoints.markFailing(endpoint, new Date(Date.now() - 10_000));
      await endpoints.disable(endpoint, 'failing for days', new Date().toISOString(), new Date());

      const disabled = await json(await call(production, `/v1/webhooks/${id}`));
      const replay = await call(production, `/v1/webhooks/${id}/replay`, {
        method: 'POST',
        json: { after: Buffer.from('ev_0000000000aaaaaaaaaaaaaaaa').toString('base64url') },
      });
      const enabled = await call(production, `/v1/webhooks/${id}/enable`, { method: 'POST' });
      const read = await json(await call(production, `/v1/webhooks/${id}`));

      expect(disabled).toMatchObject({
        status: 'disabled', disabledAt: expect.any(String), disabledReason: 'failing for days',
      });
      expect(replay.status).toBe(409);
      expect(enabled.status).toBe(200);
      expect(await json(enabled)).toMatchObject({ id, status: 'enabled' });
      expect(read.disabledAt).toBeUndefined();
      expect(read.deliveryLog.map((entry: { kind: string }) => entry.kind))
        .toEqual(['enabled', 'disabled']);
      expect((await endpoints.get('acct_default', id))?.failingSince).toBeUndefined();
    });

    it('refuses a replay cursor that did not come from an event', async () => {
      const { id } = await json(await create({
        url: 'https://hooks.example.com/replay', events: ['email.sent'],
      }));

      const response = await call(production, `/v1/webhooks/${id}/replay`, {
        method: 'POST', json: { after: 'not-a-cursor' },
      });
      const missing = await call(production, `/v1/webhooks/${id}/replay`, {
        method: 'POST', json: {},
      });

      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({
        code: 'invalid_cursor', details: [{ path: 'after' }],
      });
      expect(missing.status).toBe(400);
      expect((await json(missing)).error.details[0].path).toBe('after');
    });

    it('queues nothing when no event follows the cursor', async () => {
      const { id } = await json(await create({
        url: 'https://hooks.example.com/replay-empty', events: ['email.sent'],
      }));
      const after = Buffer.from('ev_0000000000aaaaaaaaaaaaaaaa').toString('base64url');

      const response = await call(production, `/v1/webhooks/${id}/replay`, {
        method: 'POST', json: { after },
      });

      expect(response.status).toBe(202);
      expect(await json(response)).toEqual({ queued: 0, nextCursor: null });
    });

    it('queues nothing, and fails nothing, for a cursor a webhook just delivered', async () => {
      const { id } = await json(await create({
        url: 'https://hooks.example.com/replay-fresh', events: ['email.sent'],
      }));
      const fresh = await putEvent(Date.now());

      const response = await call(production, `/v1/webhooks/${id}/replay`, {
        method: 'POST', json: { after: cursorOf(fresh) },
      });

      expect(response.status).toBe(202);
      expect(await json(response)).toEqual({ queued: 0, nextCursor: null });
    });

    it('replays from a cursor older than the retention, across empty days', async () => {
      const { id } = await json(await create({
        url: 'https://hooks.example.com/replay-ancient', events: ['email.bounced'],
      }));
      const bounced = await putEvent(Date.now() - 5 * 86_400_000, 'bounced');
      const from1970 = cursorOf(idFloor('ev', Date.parse('1970-01-02T00:00:00Z')));

      const response = await call(production, `/v1/webhooks/${id}/replay`, {
        method: 'POST', json: { after: from1970 },
      });
      const deliveries = await store.documents.send(new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
        ExpressionAttributeValues: { ':pk': endpointPk('acct_default', id), ':d': 'D#' },
      }));

      expect(response.status).toBe(202);
      expect(await json(response)).toEqual({ queued: 1, nextCursor: null });
      expect(deliveries.Items?.map((item) => item.eventId)).toEqual([bounced]);
    });
  });

  it('refuses a 51st endpoint with 409 limit_reached', async () => {
    const count = await endpoints.count('acct_default');
    for (let n = count; n < 50; n++) {
      expect((await create({ url: `https://hooks.example.com/n/${n}`, events: ['email.sent'] }))
        .status).toBe(201);
    }

    const response = await create({
      url: 'https://hooks.example.com/one-too-many', events: ['email.sent'],
    });

    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe('limit_reached');
  });

  it('keeps the limit when creations race each other', async () => {
    const listed = await endpoints.list('acct_default', { limit: 100 });
    for (const endpoint of listed.endpoints.slice(0, 5)) {
      await endpoints.delete('acct_default', endpoint.id);
    }
    const before = await endpoints.count('acct_default');

    const responses = await Promise.all(Array.from({ length: 60 - before }, (_, n) =>
      create({ url: `https://hooks.example.com/race/${n}`, events: ['email.sent'] })));

    const created = responses.filter((r) => r.status === 201).length;
    expect(created).toBeLessThanOrEqual(50 - before);
    expect(created).toBeGreaterThan(0);
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(await endpoints.count('acct_default')).toBe(before + created);
  });
});
