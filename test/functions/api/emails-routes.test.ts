import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../../../functions/api/app.js';
import { buildApiDeps } from '../../../functions/api/build-api-deps.js';
import type { Hono } from 'hono';
import { loadConfig } from '../../../shared/config/config.js';
import {
  createTestTable, startTestQueues, type TestQueues, type TestTable,
} from '../../support/aws-test-env.js';

const KEY = 'route-test-key-0123456789';
// Response bodies are checked field by field below; their shape is the test's subject.
const json = (response: Response): Promise<any> => response.json();
const email = {
  from: 'Example Shop <orders@example.com>',
  to: ['ana.lima@example.org'],
  subject: 'Hello',
  text: 'Hi',
};

describe('email routes, in process against DynamoDB Local and the embedded SQS', () => {
  let table: TestTable;
  let queues: TestQueues;
  let app: Hono;

  const request = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    return app.request(path, {
      ...rest,
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(rest.headers as Record<string, string> | undefined),
      },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  const send = (body: unknown, headers: Record<string, string> = {}) =>
    request('/v1/emails', { method: 'POST', json: body, headers });

  beforeAll(async () => {
    table = await createTestTable();
    queues = await startTestQueues();
    app = createApp(buildApiDeps(loadConfig({
      MAILROOM_API_KEY: KEY,
      MAILROOM_TABLE: table.tableName,
      MAILROOM_QUEUE_URL: queues.sendQueueUrl,
      MAILROOM_DYNAMODB_ENDPOINT: table.endpoint,
      MAILROOM_SQS_ENDPOINT: queues.endpoint,
    })));
  });
  afterAll(async () => {
    await queues?.stop();
    await table?.remove();
  });

  describe('errors', () => {
    it.each([
      ['no key', {}],
      ['a wrong key', { authorization: 'Bearer wrong-key-0123456789' }],
      ['another scheme', { authorization: `Basic ${KEY}` }],
    ])('refuses %s with 401', async (_name, headers) => {
      const response = await app.request('/v1/emails', { method: 'GET', headers });

      expect(response.status).toBe(401);
      expect(await json(response)).toMatchObject({ error: { code: 'unauthorized' } });
    });

    it('answers 415 to a body that is not JSON', async () => {
      const response = await request('/v1/emails', {
        method: 'POST', body: 'from=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });

      expect(response.status).toBe(415);
      expect((await json(response)).error.code).toBe('unsupported_media_type');
    });

    it('answers 400 invalid_json to malformed JSON', async () => {
      const response = await request('/v1/emails', {
        method: 'POST', body: '{"from": ', headers: { 'content-type': 'application/json' },
      });

      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('invalid_json');
    });

    it('answers 413 to a body over 5 MiB', async () => {
      const response = await send({ ...email, text: 'x'.repeat(5 * 1024 * 1024 + 1) });

      expect(response.status).toBe(413);
      expect((await json(response)).error.code).toBe('payload_too_large');
    });

    it('answers 400 validation_failed with field paths', async () => {
      const response = await send({ ...email, to: ['ok@example.org', 'broken'], extra: 1 });
      const body = await json(response);

      expect(response.status).toBe(400);
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details.map((d: { path: string }) => d.path).sort())
        .toEqual(['extra', 'to[1]']);
    });

    it('answers 404 to an unknown or malformed id, and to an unknown route', async () => {
      const unknown = await request('/v1/emails/em_0000000000aaaaaaaaaaaaaaaa');
      const malformed = await request('/v1/emails/../../etc');
      const route = await request('/v2/whatever');

      expect(unknown.status).toBe(404);
      expect(malformed.status).toBe(404);
      expect(route.status).toBe(404);
      expect((await json(route)).error.code).toBe('not_found');
    });

    it('answers /healthz without a key', async () => {
      const response = await app.request('/healthz');

      expect(response.status).toBe(200);
    });
  });

  describe('accept and read back', () => {
    it('stores the email as queued with its recipients and a Message-ID', async () => {
      const response = await send({
        ...email, cc: 'jun.park@example.org', tags: { kind: 'welcome' },
      });
      const { id } = await json(response);

      const found = await json(await request(`/v1/emails/${id}`));

      expect(response.status).toBe(202);
      expect(id).toMatch(/^em_[0-9a-z]{26}$/);
      expect(found).toMatchObject({
        id, status: 'queued', subject: 'Hello', tags: { kind: 'welcome' }, attempts: 0,
        messageId: `<${id}@example.com>`,
        recipients: [
          { address: 'ana.lima@example.org', field: 'to', status: 'queued' },
          { address: 'jun.park@example.org', field: 'cc', status: 'queued' },
        ],
      });
      expect(found.events.map((e: { type: string }) => e.type)).toEqual(['queued']);
      expect(found.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, creating nothing new', async () => {
      const first = await send(email, { 'idempotency-key': 'order-7781-confirmation' });
      const again = await send({ ...email }, { 'idempotency-key': 'order-7781-confirmation' });

      expect(first.status).toBe(202);
      expect(again.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect((await json(again)).id).toBe((await json(first)).id);
    });

    it('refuses the same key with another body with 409', async () => {
      await send(email, { 'idempotency-key': 'order-7790' });

      const changed = await send({ ...email, subject: 'Changed' },
        { 'idempotency-key': 'order-7790' });

      expect(changed.status).toBe(409);
      expect((await json(changed)).error.code).toBe('idempotency_key_reused');
    });

    it('creates one email for five concurrent requests with one key', async () => {
      const responses = await Promise.all(Array.from({ length: 5 },
        () => send(email, { 'idempotency-key': 'order-7782-confirmation' })));
      const ids = await Promise.all(responses.map(async (r) => (await json(r)).id));

      expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
      expect(new Set(ids).size).toBe(1);
    });

    it('refuses a key that is too long or not printable', async () => {
      const long = await send(email, { 'idempotency-key': 'k'.repeat(257) });

      expect(long.status).toBe(400);
      expect((await json(long)).error.code).toBe('invalid_idempotency_key');
    });
  });

  describe('listing', () => {
    it('pages newest first with a cursor and filters by status, tag and time', async () => {
      const before = new Date().toISOString();
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const response = await send({
          ...email, subject: `List ${n}`, tags: { batch: 'list-test', n: String(n) },
        });
        ids.push((await json(response)).id);
      }

      const page1 = await json(await request(
        `/v1/emails?limit=2&tag=batch:list-test&createdAfter=${before}`));
      const page2 = await json(await request(
        `/v1/emails?limit=2&tag=batch:list-test&createdAfter=${before}` +
        `&cursor=${page1.nextCursor}`));
      const tagged = await json(await request('/v1/emails?tag=n:2'));
      const sent = await json(await request('/v1/emails?status=sent'));

      expect(page1.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
      expect(page2.data.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
      expect(tagged.data.map((e: { id: string }) => e.id)).toEqual([ids[1]]);
      expect(sent.data).toEqual([]);
    });

    it('refuses a cursor that was tampered with', async () => {
      const forged = Buffer.from(JSON.stringify({
        pk: 'A#other#E#x', sk: 'E', gsi1pk: 'A#other#E', gsi1sk: 'x',
      })).toString('base64url');

      const response = await request(`/v1/emails?cursor=${forged}`);

      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('invalid_cursor');
    });

    it('refuses unknown query parameters and bad values', async () => {
      const response = await request('/v1/emails?limit=0&colour=red');

      expect(response.status).toBe(400);
      expect((await json(response)).error.details.map((d: { path: string }) => d.path).sort())
        .toEqual(['colour', 'limit']);
    });
  });

  describe('tag and header names that are Object.prototype members', () => {
    it('stores, lists and filters by a tag named constructor', async () => {
      const sent = await send({ ...email, tags: JSON.parse('{"constructor":"y"}') });
      const { id } = await json(sent);

      const found = await json(await request(`/v1/emails/${id}`));
      const listed = await json(await request('/v1/emails?tag=constructor:y'));

      expect(sent.status).toBe(202);
      expect(found.tags).toEqual({ constructor: 'y' });
      expect(listed.data.map((e: { id: string }) => e.id)).toEqual([id]);
    });

    it.each([
      ['tags', 'tags.__proto__'],
      ['headers', 'headers.__proto__'],
    ])('refuses __proto__ as a name in %s instead of dropping it', async (field, path) => {
      const body = `{"from":"orders@example.com","to":"ana.lima@example.org","subject":"Hi",`
        + `"text":"Hi","${field}":{"__proto__":"x"}}`;

      const response = await request('/v1/emails', {
        method: 'POST', body, headers: { 'content-type': 'application/json' },
      });
      const error = (await json(response)).error;

      expect(response.status).toBe(400);
      expect(error.code).toBe('validation_failed');
      expect(error.details.map((d: { path: string }) => d.path)).toEqual([path]);
    });
  });

  describe('validation messages', () => {
    it('says which fields are missing, in words', async () => {
      const response = await send({ text: 'Hi' });

      expect(response.status).toBe(400);
      expect((await json(response)).error.details).toEqual([
        { path: 'from', message: 'required' },
        { path: 'to', message: 'required' },
        { path: 'subject', message: 'required' },
      ]);
    });

    it('names the recipient limit for 51 addresses in to', async () => {
      const to = Array.from({ length: 51 }, (_, i) => `r${i}@example.org`);

      const response = await send({ ...email, to });

      expect((await json(response)).error.details).toEqual([
        { path: 'to', message: 'at most 50 recipients in to, cc and bcc together' },
      ]);
    });

    it('refuses a control character in the subject', async () => {
      const response = await send({ ...email, subject: 'x\u0000y' });

      expect(response.status).toBe(400);
      expect((await json(response)).error.details).toEqual([
        { path: 'subject', message: 'must not contain control characters' },
      ]);
    });

    it('refuses an address at a bare IP address', async () => {
      const response = await send({ ...email, to: 'a@1.2.3.4' });

      expect(response.status).toBe(400);
      expect((await json(response)).error.details[0].path).toBe('to');
    });
  });

  describe('listing by time', () => {
    it.each([
      ['a reversed', '2026-12-05T00:00:00Z', '2026-12-01T00:00:00Z'],
      ['an empty', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
      ['a reversed (across offsets)', '2026-12-01T00:30:00Z', '2026-12-01T02:00:00+02:00'],
    ])('refuses %s range with 400', async (_name, after, before) => {
      const response = await request(
        `/v1/emails?createdAfter=${encodeURIComponent(after)}`
        + `&createdBefore=${encodeURIComponent(before)}`);
      const error = (await json(response)).error;

      expect(response.status).toBe(400);
      expect(error.code).toBe('validation_failed');
      expect(error.details).toEqual([{
        path: 'createdBefore',
        message: 'must be later than createdAfter: the range is reversed or empty',
      }]);
    });

    it('lists a range one millisecond wide', async () => {
      const response = await request('/v1/emails?createdAfter=2026-12-01T00:00:00.000Z'
        + '&createdBefore=2026-12-01T00:00:00.001Z');

      expect(response.status).toBe(200);
      expect((await json(response)).data).toEqual([]);
    });
  });
});
