import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  FAILURES_TO_OPEN, FIRST_OPEN_MS, RelayHealth,
} from '../../../shared/delivery/relay-health.js';
import { RelayRateLimiter } from '../../../shared/delivery/relay-rate-limit.js';
import { createTestTable, type TestTable } from '../../support/aws-test-env.js';

describe('relay circuit breaker and rate limit, shared through DynamoDB Local', () => {
  let table: TestTable;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    table = await createTestTable();
    documents = DynamoDBDocumentClient.from(table.client);
  });
  afterAll(async () => {
    await table?.remove();
  });

  it('opens after repeated failures, for every worker, then lets a probe through', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const first = new RelayHealth(documents, table.tableName, ['primary'], clock);
    const second = new RelayHealth(documents, table.tableName, ['primary'], clock);

    for (let i = 0; i < FAILURES_TO_OPEN; i++) {
      await first.recordFailure('primary');
      now += 1_500;
    }
    const openForFirst = await first.available('primary');
    const openForSecond = await second.available('primary');
    now += FIRST_OPEN_MS + 1;
    const probe = await first.available('primary');
    await first.recordSuccess('primary');

    expect(openForFirst).toBe(false);
    expect(openForSecond).toBe(false);
    expect(probe).toBe(true);
    expect(await first.available('primary')).toBe(true);
  });

  it('counts failures that come together (one refused connection) once', async () => {
    const now = 5_000_000;
    const health = new RelayHealth(documents, table.tableName, ['bursty'], () => now);

    for (let i = 0; i < FAILURES_TO_OPEN * 3; i++) await health.recordFailure('bursty');

    expect(await health.available('bursty')).toBe(true);
  });

  it('stays closed through fewer failures than the threshold', async () => {
    const health = new RelayHealth(documents, table.tableName, ['steady']);

    for (let i = 0; i < FAILURES_TO_OPEN - 1; i++) await health.recordFailure('steady');

    expect(await health.available('steady')).toBe(true);
  });

  it('shares a per-second limit between workers', async () => {
    const second = Math.floor(Date.now() / 1000) + 10;
    const clock = () => second * 1000 + 100;
    const workers = [
      new RelayRateLimiter(documents, table.tableName, clock),
      new RelayRateLimiter(documents, table.tableName, clock),
    ];
    let granted = 0;

    const takes = workers.flatMap((worker) => Array.from({ length: 12 }, () =>
      Promise.race([
        worker.take('limited', 10).then(() => { granted++; }),
        new Promise((resolve) => setTimeout(resolve, 300)),
      ])));
    await Promise.all(takes);

    expect(granted).toBe(10);
  });
});
