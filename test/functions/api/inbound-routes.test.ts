import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../../../functions/api/app.js';
import { buildApiDeps } from '../../../functions/api/build-api-deps.js';
import { loadConfig } from '../../../shared/config/config.js';
import { createTestTable, type TestTable } from '../../support/aws-test-env.js';

const API_KEY = 'route-test-key-0123456789';
const INBOUND_KEY = 'inbound-test-key-9876543210';

describe('bounce intake, in process against DynamoDB Local', () => {
  let table: TestTable;
  let app: Hono;

  beforeAll(async () => {
    table = await createTestTable();
    app = createApp(buildApiDeps(loadConfig({
      MAILROOM_API_KEY: API_KEY,
      MAILROOM_INBOUND_KEY: INBOUND_KEY,
      MAILROOM_TABLE: table.tableName,
      MAILROOM_QUEUE_URL: 'http://127.0.0.1:1/queue/unused',
      MAILROOM_DYNAMODB_ENDPOINT: table.endpoint,
    })));
  });
  afterAll(async () => {
    await table?.remove();
  });

  it.each([
    ['no key', undefined],
    ['a wrong key', 'Bearer wrong-key-0123456789'],
    ['the API key', `Bearer ${API_KEY}`],
  ])('refuses %s, naming the inbound key and echoing none', async (_name, authorization) => {
    const response = await app.request('/v1/inbound/dsn', {
      method: 'POST',
      body: 'Subject: x\r\n\r\nx\r\n',
      headers: {
        'content-type': 'message/rfc822',
        ...(authorization ? { authorization } : {}),
      },
    });
    const text = await response.text();

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.parse(text).error).toEqual({
      code: 'unauthorized',
      message: 'A valid inbound key is required: Authorization: Bearer <MAILROOM_INBOUND_KEY>. '
        + 'The API key is not accepted here.',
    });
    expect(text).not.toContain(INBOUND_KEY);
    expect(text).not.toContain(API_KEY);
  });

  it('still names the API key on the other routes', async () => {
    const response = await app.request('/v1/emails', {
      headers: { authorization: `Bearer ${INBOUND_KEY}` },
    });

    expect(response.status).toBe(401);
    expect((await response.json() as { error: { message: string } }).error.message)
      .toBe('A valid API key is required: Authorization: Bearer <key>.');
  });
});
