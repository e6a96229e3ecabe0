import {
  CreateTableCommand,
  DeleteTableCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

import type { DynamoDbLocal } from '../local/dynamodb-local.js';
import { createDynamoDbClient } from '../shared/aws/clients.js';
import type { BenchContext } from './bench-context.js';
import { cpuRows } from './cpu-rows.js';
import { CpuWatch } from './cpu-watch.js';
import { formatNumber } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import { percentile } from './percentile.js';

export interface PutRateResult {
  concurrency: number;
  itemBytes: number;
  puts: number;
  errors: number;
  firstError?: string;
  /** Successful conditional PutItem calls per second. */
  rate: number;
  p50Ms?: number;
  p99Ms?: number;
  cores: Record<string, number | undefined>;
}

/** Attribute payload that makes each stored item about 1 KB. */
const PAYLOAD = 'x'.repeat(960);
/** Warm-up and measurement each stop here even if fewer items were written. */
const STEP_TIMEOUT_MS = 10_000;

/**
 * Phase 3: how many conditional ~1 KB PutItem calls per second DynamoDB Local takes from
 * the same SDK client the product uses. Divided by the items the product writes per email,
 * this is the emulator's bound on emails per second.
 */
export async function putRatePhase(
  context: BenchContext,
  dynamoDb: DynamoDbLocal,
  title: string,
): Promise<PutRateResult> {
  const { options } = context;
  const client = createDynamoDbClient({ endpoint: dynamoDb.endpoint });
  const table = `bench-put-rate-${Date.now()}`;

  try {
    await client.send(new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
    const put = (prefix: string, count: number) => putItems(client, {
      table, prefix, count, concurrency: options.putConcurrency,
      deadline: Date.now() + STEP_TIMEOUT_MS,
    });
    await put('warm', options.putWarmup);

    const watch = CpuWatch.start({ 'DynamoDB Local': dynamoDb.pid, 'SDK client': process.pid });
    const started = performance.now();
    const run = await put('run', options.putItems);
    const seconds = (performance.now() - started) / 1000;
    const cores = watch.cores();
    await client.send(new DeleteTableCommand({ TableName: table }));

    const result: PutRateResult = {
      concurrency: options.putConcurrency,
      itemBytes: PAYLOAD.length + 64,
      puts: run.latencies.length,
      errors: run.errors,
      ...(run.firstError ? { firstError: run.firstError } : {}),
      rate: run.latencies.length / seconds,
      p50Ms: percentile(run.latencies, 50),
      p99Ms: percentile(run.latencies, 99),
      cores,
    };
    context.print(putRateTable(result, title));
    return result;
  } finally {
    client.destroy();
  }
}

async function putItems(
  client: DynamoDBClient,
  step: { table: string; prefix: string; count: number; concurrency: number; deadline: number },
) {
  const { table, prefix, count, concurrency, deadline } = step;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;

  const lane = async () => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      const started = performance.now();
      try {
        await client.send(new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: `${prefix}-${index.toString().padStart(8, '0')}` },
            n: { N: String(index) },
            payload: { S: PAYLOAD },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }));
        latencies.push(performance.now() - started);
      } catch (error) {
        errors++;
        firstError ??= String((error as Error).message ?? error);
      }
    }
  };

  await Promise.all(Array.from({ length: concurrency }, lane));
  return { latencies, errors, firstError };
}

function putRateTable(result: PutRateResult, title: string): string {
  return markdownTable([title, 'value'], [
    ['conditional PutItem, item size, concurrency',
      `~${result.itemBytes} B, ${result.concurrency} in flight`],
    ['puts measured (errors)', `${result.puts} (${result.errors}${
      result.firstError ? `: ${result.firstError}` : ''})`],
    ['**PutItem / s**', `**${formatNumber(result.rate)}**`],
    ['PutItem p50 / p99 ms', `${formatNumber(result.p50Ms, 1)} / ${formatNumber(result.p99Ms, 1)}`],
    ...cpuRows(result.cores),
  ]);
}
