/**
 * Real AWS protocol for tests, on loopback: tables in the run's shared DynamoDB Local and a
 * private SQS emulator per test file. Names are unique per call, so tests never see each
 * other's data.
 */
import { randomBytes } from 'node:crypto';

import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';

import { ensureQueues, type QueueUrls } from '../../local/ensure-queues.js';
import { startSqsLocal } from '../../local/sqs-local.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { ensureTable } from '../../shared/store/table-schema.js';

export interface TestTable {
  tableName: string;
  endpoint: string;
  client: DynamoDBClient;
  /** Deletes the table and closes the client. */
  remove(): Promise<void>;
}

export interface TestQueues extends QueueUrls {
  endpoint: string;
  client: SQSClient;
  stop(): Promise<void>;
}

export function testDynamoDbEndpoint(): string {
  const endpoint = inject('dynamoDbEndpoint') ?? process.env.MAILROOM_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('no test DynamoDB endpoint: is test/global-setup.ts configured?');
  return endpoint;
}

export async function createTestTable(): Promise<TestTable> {
  const endpoint = testDynamoDbEndpoint();
  const client = createDynamoDbClient({ endpoint });
  const tableName = `mailroom-test-${uniqueSuffix()}`;
  await ensureTable(client, tableName);

  return {
    tableName,
    endpoint,
    client,
    remove: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}

export async function startTestQueues(): Promise<TestQueues> {
  const sqs = await startSqsLocal({ port: 0 });
  const client = createSqsClient({ endpoint: sqs.endpoint });
  const urls = await ensureQueues(client, { prefix: `t${uniqueSuffix()}-` });

  return {
    ...urls,
    endpoint: sqs.endpoint,
    client,
    stop: async () => {
      client.destroy();
      await sqs.stop();
    },
  };
}

function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
