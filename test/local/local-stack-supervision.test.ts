/**
 * The supervisor part of the local stack, with stand-in children written to a temp folder:
 * what the children are given, how they are stopped, and what happens when one keeps
 * crashing. The real API and worker are exercised end to end by their own tests.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLocalStack, type LocalStackOptions } from '../../local/local-stack.js';
import { runDir, StackLockedError } from '../../local/process-files.js';
import { createDynamoDbClient } from '../../shared/aws/clients.js';
import { testDynamoDbEndpoint } from '../support/aws-test-env.js';

/** Answers every request with the environment it was started with. */
const ECHO_API = `
import { createServer } from 'node:http';
const server = createServer((request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ pid: process.pid, env: process.env }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
const IDLE_WORKER = `
const timer = setInterval(() => {}, 1000);
process.on('SIGTERM', () => { clearInterval(timer); process.exit(0); });
`;
const CRASHING_WORKER = `setTimeout(() => process.exit(3), 50);`;

describe('local stack supervision', () => {
  let folder: string;
  let entries: { api: string; worker: string; crashingWorker: string };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'mailroom-stack-'));
    entries = {
      api: join(folder, 'api.mjs'),
      worker: join(folder, 'worker.mjs'),
      crashingWorker: join(folder, 'crashing-worker.mjs'),
    };
    await writeFile(entries.api, ECHO_API);
    await writeFile(entries.worker, IDLE_WORKER);
    await writeFile(entries.crashingWorker, CRASHING_WORKER);
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  function options(dataDir: string, overrides: Partial<LocalStackOptions> = {}) {
    const unique = randomBytes(4).toString('hex');
    return {
      dataDir,
      port: 0,
      devRelayPort: 0,
      dynamoDbEndpoint: testDynamoDbEndpoint(),
      tableName: `stack-${unique}`,
      queuePrefix: `s${unique}-`,
      childEntries: { api: entries.api, worker: entries.worker },
      env: { MAILROOM_EXTRA: 'yes' },
      ...overrides,
    } satisfies LocalStackOptions;
  }

  it('starts the children with the local configuration and stops them', async () => {
    const dataDir = join(folder, 'data-configured');
    const stack = await startLocalStack(options(dataDir));

    try {
      const { pid, env } = await echo(stack.apiUrl);
      expect(env).toMatchObject({
        MAILROOM_MODE: 'local',
        MAILROOM_TABLE: stack.tableName,
        MAILROOM_QUEUE_URL: stack.queueUrls.sendQueueUrl,
        MAILROOM_DLQ_URL: stack.queueUrls.sendDlqUrl,
        MAILROOM_WEBHOOK_QUEUE_URL: stack.queueUrls.webhookQueueUrl,
        MAILROOM_DYNAMODB_ENDPOINT: stack.endpoints.dynamoDb,
        MAILROOM_SQS_ENDPOINT: stack.endpoints.sqs,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        MAILROOM_API_KEY: stack.apiKey,
        SMTP_URL: stack.relay!.url,
        SMTP_CA_FILE: stack.relay!.caFile,
        MAILROOM_DEV_MAILBOX_DIR: stack.relay!.mailboxDir,
        PORT: new URL(stack.apiUrl).port,
        MAILROOM_EXTRA: 'yes',
      });
      expect(stack.apiKey).toMatch(/^mr_[A-Za-z0-9_-]{32}$/);
      expect(stack.relay!.url).toMatch(/^smtp:\/\/mailroom:[A-Za-z0-9_-]+@127\.0\.0\.1:\d+$/);

      const table = await describeTable(stack.endpoints.dynamoDb, stack.tableName);
      expect(table).toBe('ACTIVE');
      const runFiles = (await readdir(runDir(dataDir))).sort();
      expect(runFiles).toEqual(['api.pid', 'stack.lock', 'worker.pid']);
      await expect(startLocalStack(options(dataDir))).rejects.toBeInstanceOf(StackLockedError);

      await stack.stop();
      expect(isRunning(pid)).toBe(false);
      expect(await readdir(runDir(dataDir))).toEqual([]);
    } finally {
      await stack.stop();
    }

    // The generated key is kept, so a restart does not invalidate a pasted command.
    const restarted = await startLocalStack(options(dataDir));
    await restarted.stop();
    expect(restarted.apiKey).toBe(stack.apiKey);
  });

  it('gives up on a child that keeps crashing and stops everything', async () => {
    const dataDir = join(folder, 'data-crashing');
    let failure: Error | undefined;
    const failed = new Promise<void>((resolve) => {
      const stackOptions = options(dataDir, {
        childEntries: { api: entries.api, worker: entries.crashingWorker },
        onFailure: (error) => {
          failure = error;
          resolve();
        },
      });
      // Start-up may fail or succeed depending on when the give-up lands; onFailure is
      // called either way, once everything has stopped.
      void startLocalStack(stackOptions).catch(() => {});
    });

    await failed;
    expect(failure?.message).toMatch(/^worker exited \(3\) after 5 restarts/);
    expect(await readdir(runDir(dataDir))).toEqual([]);
    expect(existsSync(join(runDir(dataDir), 'stack.lock'))).toBe(false);
  });

  it('passes a configured relay through instead of starting the development relay', async () => {
    const dataDir = join(folder, 'data-external-relay');
    const stack = await startLocalStack(options(dataDir, {
      smtpUrl: 'smtp://user:secret@127.0.0.1:1',
      caFile: '/dev/null',
    }));

    try {
      const { env } = await echo(stack.apiUrl);
      expect(stack.relay).toBeUndefined();
      expect(env.SMTP_URL).toBe('smtp://user:secret@127.0.0.1:1');
      expect(env.SMTP_CA_FILE).toBe('/dev/null');
      expect(env.MAILROOM_DEV_MAILBOX_DIR).toBeUndefined();
    } finally {
      await stack.stop();
    }
  });
});

async function echo(url: string): Promise<{ pid: number; env: Record<string, string> }> {
  const response = await fetch(url);
  return (await response.json()) as { pid: number; env: Record<string, string> };
}

async function describeTable(endpoint: string, tableName: string): Promise<string | undefined> {
  const client = createDynamoDbClient({ endpoint });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus;
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
