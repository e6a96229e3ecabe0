import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../../../functions/api/app.js';
import { buildApiDeps } from '../../../functions/api/build-api-deps.js';
import { loadConfig } from '../../../shared/config/config.js';
import {
  createTestTable, startTestQueues, type TestQueues, type TestTable,
} from '../../support/aws-test-env.js';
import { fakeResolver } from '../../shared/webhooks/webhook-receiver.js';

const KEY = 'cursor-route-key-0123456789';
// Response bodies are checked field by field below; their shape is the test's subject.
const json = (response: Response): Promise<any> => response.json();
const encode = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
const LISTS = ['/v1/emails', '/v1/suppressions', '/v1/webhooks'];

/**
 * Regression: a cursor of one list, or a hand-made one, reached DynamoDB as a start key and
 * failed the query with a 500. Every list must refuse it with 400 invalid_cursor instead.
 */
describe('list cursors, in process against DynamoDB Local', () => {
  let table: TestTable;
  let queues: TestQueues;
  let app: Hono;
  const cursors: Record<string, string> = {};

  const request = (path: string, init: { method?: string; json?: unknown } = {}) =>
    app.request(path, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });

  beforeAll(async () => {
    table = await createTestTable();
    queues = await startTestQueues();
    const deps = buildApiDeps(loadConfig({
      MAILROOM_API_KEY: KEY,
      MAILROOM_TABLE: table.tableName,
      MAILROOM_QUEUE_URL: queues.sendQueueUrl,
      MAILROOM_WEBHOOK_QUEUE_URL: queues.webhookQueueUrl,
      MAILROOM_DYNAMODB_ENDPOINT: table.endpoint,
      MAILROOM_SQS_ENDPOINT: queues.endpoint,
    }));
    deps.webhooks.resolveHost = fakeResolver({ 'hooks.example.com': ['93.184.216.34'] });
    app = createApp(deps);

    for (let n = 0; n < 2; n++) {
      await request('/v1/emails', { method: 'POST', json: {
        from: 'orders@example.com', to: [`cursor${n}@example.org`], subject: 'Hi', text: 'Hi',
      } });
      await request(`/v1/suppressions/gone${n}@example.org`, { method: 'PUT', json: {} });
      await request('/v1/webhooks', { method: 'POST', json: {
        url: `https://hooks.example.com/${n}`, events: ['email.sent'],
      } });
    }
    for (const list of LISTS) {
      cursors[list] = (await json(await request(`${list}?limit=1`))).nextCursor;
    }
  });
  afterAll(async () => {
    await queues?.stop();
    await table?.remove();
  });

  it('pages each list with its own cursor', async () => {
    const pages = await Promise.all(LISTS.map((list) =>
      request(`${list}?limit=1&cursor=${cursors[list]}`)));

    expect(Object.values(cursors).every((cursor) => typeof cursor === 'string')).toBe(true);
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
  });

  it.each(LISTS.flatMap((from) => LISTS.filter((to) => to !== from).map((to) => [from, to])))(
    'refuses a cursor of %s on %s with 400 invalid_cursor',
    async (from, to) => {
      const response = await request(`${to}?cursor=${cursors[from]}`);

      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({
        code: 'invalid_cursor', details: [{ path: 'cursor' }],
      });
    },
  );

  it.each([
    ['empty table keys', { pk: '', sk: '', gsi1pk: 'A#acct_default#E', gsi1sk: 'em_zzzz' }],
    ['a short id', { pk: 'A#acct_default#E#em_zzzz', sk: 'E', gsi1pk: 'A#acct_default#E',
      gsi1sk: 'em_zzzz' }],
    ['another sort key', { pk: 'A#acct_default#E#em_01jq3v6c8e2b7x4n5p6q7r8s9t', sk: 'C',
      gsi1pk: 'A#acct_default#E', gsi1sk: 'em_01jq3v6c8e2b7x4n5p6q7r8s9t' }],
    ['another account', { pk: 'A#other#E#em_01jq3v6c8e2b7x4n5p6q7r8s9t', sk: 'E',
      gsi1pk: 'A#other#E', gsi1sk: 'em_01jq3v6c8e2b7x4n5p6q7r8s9t' }],
  ])('refuses a hand-made cursor with %s on every list', async (_, key) => {
    const responses = await Promise.all(LISTS.map((list) =>
      request(`${list}?cursor=${encode(key)}`)));

    expect(responses.map((response) => response.status)).toEqual([400, 400, 400]);
  });

  it('refuses an emails cursor outside the createdAfter/createdBefore range', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();

    const response = await request(
      `/v1/emails?createdAfter=${later}&cursor=${cursors['/v1/emails']}`);

    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('invalid_cursor');
  });
});
