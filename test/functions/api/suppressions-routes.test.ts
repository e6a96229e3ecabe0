import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ApiDeps } from '../../../functions/api/api-deps.js';
import { createApp } from '../../../functions/api/app.js';
import { buildApiDeps } from '../../../functions/api/build-api-deps.js';
import { loadConfig } from '../../../shared/config/config.js';
import { createTestTable, type TestTable } from '../../support/aws-test-env.js';

const KEY = 'route-test-key-0123456789';
// Response bodies are checked field by field below; their shape is the test's subject.
const json = (response: Response): Promise<any> => response.json();

describe('suppression routes, in process against DynamoDB Local', () => {
  let table: TestTable;
  let deps: ApiDeps;
  let app: Hono;

  const put = (address: string, body: unknown) => app.request(`/v1/suppressions/${address}`, {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  });

  beforeAll(async () => {
    table = await createTestTable();
    deps = buildApiDeps(loadConfig({
      MAILROOM_API_KEY: KEY,
      MAILROOM_TABLE: table.tableName,
      MAILROOM_QUEUE_URL: 'http://127.0.0.1:1/queue/unused',
      MAILROOM_DYNAMODB_ENDPOINT: table.endpoint,
    }));
    app = createApp(deps);
  });
  afterAll(async () => {
    await table?.remove();
  });

  it('adds with 201, then updates with 200 keeping when it was first added', async () => {
    const added = await put('ana.lima@example.org', { detail: 'asked to stop' });
    const first = await json(added);
    await new Promise((resolve) => setTimeout(resolve, 5));

    const updated = await put('ana.lima@example.org', { detail: 'asked again' });
    const second = await json(updated);

    expect(added.status).toBe(201);
    expect(updated.status).toBe(200);
    expect(second).toEqual({
      address: 'ana.lima@example.org',
      reason: 'manual',
      detail: 'asked again',
      createdAt: first.createdAt,
      updatedAt: expect.any(String),
    });
    expect(first.updatedAt).toBe(first.createdAt);
    expect(second.updatedAt > first.createdAt).toBe(true);
  });

  it('turns a bounce entry manual, keeping its createdAt and the email behind it', async () => {
    await deps.suppressions.put(deps.config.accountId, {
      address: 'gone@example.org',
      reason: 'hard_bounce',
      emailId: 'em_0000000000aaaaaaaaaaaaaaaa',
      detail: '5.1.1 user unknown',
      createdAt: '2026-01-02T03:04:05.000Z',
    });

    const response = await put('gone@example.org', {});

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      address: 'gone@example.org',
      reason: 'manual',
      emailId: 'em_0000000000aaaaaaaaaaaaaaaa',
      createdAt: '2026-01-02T03:04:05.000Z',
      updatedAt: expect.stringMatching(/^\d{4}-/),
    });
  });
});
