import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../../../functions/api/app.js';
import { buildApiDeps } from '../../../functions/api/build-api-deps.js';
import { loadConfig } from '../../../shared/config/config.js';
import { idFloor } from '../../../shared/ids/new-id.js';
import { EmailStore } from '../../../shared/store/email-store.js';
import {
  createTestTable, startTestQueues, type TestQueues, type TestTable,
} from '../../support/aws-test-env.js';
import { emailRecord } from '../../support/factories.js';

const KEY = 'events-route-key-0123456789';
const DAY = 86_400_000;
// Response bodies are checked field by field below; their shape is the test's subject.
const json = (response: Response): Promise<any> => response.json();
const cursorOf = (eventId: string) => Buffer.from(eventId).toString('base64url');

describe('GET /v1/events, in process against DynamoDB Local', () => {
  let table: TestTable;
  let queues: TestQueues;
  let store: EmailStore;
  let app: Hono;
  let made = 0;

  const get = (query: string) =>
    app.request(`/v1/events${query}`, { headers: { authorization: `Bearer ${KEY}` } });
  /** An event in the account's feed at `time` (ids made out of time order, so built here). */
  const putEvent = async (time: number) => {
    const id = `${idFloor('ev', time).slice(0, -4)}${String(made++).padStart(4, '0')}`;
    const item = store.eventItem(emailRecord(), {
      id, type: 'sent', at: new Date(time).toISOString(),
    });
    await store.documents.send(new PutCommand({ TableName: table.tableName, Item: item }));
    return id;
  };

  beforeAll(async () => {
    table = await createTestTable();
    queues = await startTestQueues();
    store = new EmailStore(table.client, table.tableName);
    app = createApp(buildApiDeps(loadConfig({
      MAILROOM_API_KEY: KEY,
      MAILROOM_TABLE: table.tableName,
      MAILROOM_QUEUE_URL: queues.sendQueueUrl,
      MAILROOM_DYNAMODB_ENDPOINT: table.endpoint,
      MAILROOM_SQS_ENDPOINT: queues.endpoint,
      MAILROOM_RETENTION_DAYS: '60',
    })));
  });
  afterAll(async () => {
    await queues?.stop();
    await table?.remove();
  });

  it('answers a cursor a webhook just delivered with an empty page at that cursor', async () => {
    const cursor = cursorOf(await putEvent(Date.now()));

    const response = await get(`?after=${cursor}`);

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ data: [], nextCursor: cursor });
  });

  it('answers a start time that has not settled yet with an empty page', async () => {
    const response = await get(`?since=${new Date(Date.now() + 60_000).toISOString()}`);

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ data: [], nextCursor: null });
  });

  it('moves a cursor from 1970 on to the events kept, past the empty days', async () => {
    const old = await putEvent(Date.now() - 45 * DAY);
    const recent = await putEvent(Date.now() - 2 * DAY);
    const from1970 = cursorOf(idFloor('ev', Date.parse('1970-01-02T00:00:00Z')));

    const seen: string[] = [];
    const cursors: string[] = [from1970];
    for (let call = 0; call < 5 && seen.length < 2; call++) {
      const body = await json(await get(`?after=${cursors.at(-1)}`));
      seen.push(...body.data.map((event: { id: string }) => event.id));
      cursors.push(body.nextCursor);
    }

    expect(seen).toEqual([old, recent]);
    expect(cursors[1]).not.toBe(from1970);
    expect(cursors.length).toBeLessThanOrEqual(4);
  });

  it.each([
    ['text that is no cursor', 'not-a-cursor'],
    ['an email id', cursorOf('em_01jq3v6c8e2b7x4n5p6q7r8s9t')],
    ['an event id with letters outside the id alphabet', cursorOf('ev_01jq3v6c8e2b7x4n5p6q7r8s9u')],
    ['an event from the far future', cursorOf('ev_zzzzzzzzzz0000000000000000')],
    ['a page cursor of another list', Buffer.from(JSON.stringify({
      pk: '', sk: '', gsi1pk: 'A#acct_default#E', gsi1sk: 'em_zzzz',
    })).toString('base64url')],
  ])('refuses %s with 400 invalid_cursor on `after`', async (_, cursor) => {
    const response = await get(`?after=${cursor}`);

    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({
      code: 'invalid_cursor', details: [{ path: 'after' }],
    });
  });
});
