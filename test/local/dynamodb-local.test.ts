import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local.js';
import { createDynamoDbClient } from '../../shared/aws/clients.js';
import { ensureTable } from '../../shared/store/table-schema.js';
import { listeningSockets } from '../support/listening-sockets.js';

const TABLE = 'persistence-check';

describe('DynamoDB Local on disk', () => {
  let dataDir: string;
  const started: DynamoDbLocal[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mailroom-dynamodb-'));
  });

  afterAll(async () => {
    // Whatever a failed assertion left running is stopped here.
    await Promise.all(started.map((instance) => instance.stop()));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<DynamoDbLocal> {
    const instance = await startDynamoDbLocal({ dataDir });
    started.push(instance);
    return instance;
  }

  // The socket and process checks read /proc.
  const onLinux = it.skipIf(process.platform !== 'linux');

  onLinux('listens on 127.0.0.1 only, with telemetry off', async () => {
    const dynamoDb = await start();
    const port = Number(new URL(dynamoDb.endpoint).port);

    const sockets = await listeningSockets(dynamoDb.pid);
    expect(sockets).toEqual([{ address: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/), port }]);

    const args = readFileSync(`/proc/${dynamoDb.pid}/cmdline`, 'utf8').split('\0');
    expect(args).toContain('-disableTelemetry');
    const environment = readFileSync(`/proc/${dynamoDb.pid}/environ`, 'utf8').split('\0');
    expect(environment).toContain('DDB_LOCAL_TELEMETRY=0');

    await dynamoDb.stop();
  });

  it('keeps data across a restart and leaves no process behind', async () => {
    const first = await start();
    await withClient(first.endpoint, async (client) => {
      await ensureTable(client, TABLE);
      await client.send(new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'greeting' }, sk: { S: 'v1' }, text: { S: 'still here' } },
      }));
    });
    await first.stop();
    expect(isRunning(first.pid)).toBe(false);

    const second = await start();
    const item = await withClient(second.endpoint, (client) => client.send(new GetItemCommand({
      TableName: TABLE,
      Key: { pk: { S: 'greeting' }, sk: { S: 'v1' } },
      ConsistentRead: true,
    })));
    expect(item.Item?.text).toEqual({ S: 'still here' });

    await second.stop();
    expect(isRunning(second.pid)).toBe(false);
  });
});

async function withClient<T>(
  endpoint: string,
  use: (client: ReturnType<typeof createDynamoDbClient>) => Promise<T>,
): Promise<T> {
  const client = createDynamoDbClient({ endpoint });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
