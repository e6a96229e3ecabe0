import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { serve } from '@hono/node-server';

import { createApp } from '../../functions/api/app.js';
import { buildApiDeps } from '../../functions/api/build-api-deps.js';
import { buildWorkerDeps, type WorkerDeps } from '../../functions/worker/build-worker-deps.js';
import { type Poller, startPoller } from '../../functions/worker/poller.js';
import { type Config, loadConfig } from '../../shared/config/config.js';
import type { SmtpTimeouts } from '../../shared/smtp/smtp-session.js';
import { EmailStore } from '../../shared/store/email-store.js';
import {
  createTestTable,
  startTestQueues,
  type TestQueues,
  type TestTable,
} from './aws-test-env.js';

/**
 * The whole pipeline in the test process, on real parts: the API over HTTP on 127.0.0.1,
 * the worker's poller on the embedded SQS, DynamoDB Local, and whatever relay the test
 * starts. Only the addresses differ from `npm start`.
 */
export interface PipelineOptions {
  smtpUrl?: string;
  smtpRelays?: string;
  caPem?: string;
  env?: Record<string, string>;
  timeouts?: Partial<SmtpTimeouts>;
  /** Start the worker now (default) or later with startWorker(). */
  worker?: boolean;
}

export interface Pipeline {
  apiUrl: string;
  /** The environment the configuration was read from, for worker processes of a test. */
  env: Record<string, string>;
  apiKey: string;
  config: Config;
  table: TestTable;
  queues: TestQueues;
  store: EmailStore;
  worker?: WorkerDeps;
  send(body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string): Promise<Response>;
  /** Polls GET /v1/emails/{id} until `done` holds for its body, or fails after `ms`. */
  waitFor(id: string, done: (email: EmailBody) => boolean, ms?: number): Promise<EmailBody>;
  startWorker(): void;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface EmailBody {
  id: string;
  status: string;
  reason?: string;
  attempts: number;
  recipients: Array<Record<string, unknown> & { address: string; status: string }>;
  events: Array<Record<string, unknown> & { type: string }>;
  [key: string]: unknown;
}

export const TEST_API_KEY = 'test-key-0123456789abcdef';

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const table = await createTestTable();
  const queues = await startTestQueues();
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-pipeline-'));
  const caFile = join(dir, 'relay-ca.pem');
  if (options.caPem) writeFileSync(caFile, options.caPem);

  const env: Record<string, string> = {
    MAILROOM_MODE: 'local',
    MAILROOM_API_KEY: TEST_API_KEY,
    MAILROOM_TABLE: table.tableName,
    MAILROOM_QUEUE_URL: queues.sendQueueUrl,
    MAILROOM_DYNAMODB_ENDPOINT: table.endpoint,
    MAILROOM_SQS_ENDPOINT: queues.endpoint,
    MAILROOM_RETRY_BASE_SECONDS: '1',
    MAILROOM_RETRY_MAX_SECONDS: '2',
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
    ...(options.smtpRelays ? { SMTP_RELAYS: options.smtpRelays } : {}),
    ...(options.caPem ? { SMTP_CA_FILE: caFile } : {}),
    ...options.env,
  };
  const config = loadConfig(env);

  const apiDeps = buildApiDeps(config);
  const server = serve({ fetch: createApp(apiDeps).fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let worker: WorkerDeps | undefined;
  let poller: Poller | undefined;
  const pipeline: Pipeline = {
    apiUrl,
    env,
    apiKey: TEST_API_KEY,
    config,
    table,
    queues,
    store: apiDeps.store,
    send: (body, headers = {}) => fetch(`${apiUrl}/v1/emails`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    get: (path) => fetch(`${apiUrl}${path}`, {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    }),
    async waitFor(id, done, ms = 20_000) {
      const deadline = Date.now() + ms;
      let last: EmailBody | undefined;
      while (Date.now() < deadline) {
        const response = await pipeline.get(`/v1/emails/${id}`);
        last = await response.json() as EmailBody;
        if (done(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`email ${id} did not reach the expected state: ${JSON.stringify(last)}`);
    },
    startWorker() {
      worker = buildWorkerDeps(config, options.timeouts ? { timeouts: options.timeouts } : {});
      pipeline.worker = worker;
      poller = startPoller({
        sqs: worker.sqs, queueUrl: config.queueUrl, deps: worker, waitSeconds: 1,
      });
    },
    async stopWorker() {
      await poller?.stop();
      await worker?.router.close();
      poller = undefined;
      worker = undefined;
    },
    async stop() {
      await pipeline.stopWorker();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queues.stop();
      await table.remove();
    },
  };

  if (options.worker !== false) pipeline.startWorker();
  return pipeline;
}
