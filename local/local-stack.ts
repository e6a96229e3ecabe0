/**
 * The whole product on one machine: DynamoDB Local (child JVM), SQS (fauxqs, in this
 * process), a development SMTP relay unless a real one is configured, and the API, the worker
 * and the webhook dispatcher as child processes configured through their environment,
 * exactly as in AWS.
 * Everything listens on 127.0.0.1. `npm start` is a thin CLI around `startLocalStack`; tests
 * and the benchmark call it directly.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { createDynamoDbClient, createSqsClient } from '../shared/aws/clients.js';
import { silentLogger, type Logger } from '../shared/log/logger.js';
import { ensureTable } from '../shared/store/table-schema.js';
import { ChildSupervisor } from './child-supervisor.js';
import { startDevRelay, type DevRelay } from './dev-relay.js';
import { LAUNCHER_MARKER } from './dynamodb-launcher.js';
import { DEFAULT_DATA_DIR, startDynamoDbLocal } from './dynamodb-local.js';
import { ensureQueues, type QueueUrls } from './ensure-queues.js';
import { freePort, isPortFree } from './free-port.js';
import { DEFAULT_API_PORT } from './local-config.js';
import { entryPath } from './node-child.js';
import { generateApiKey, generatePassword, loadOrCreateSecret } from './persisted-secret.js';
import {
  acquireStackLock,
  reapLeftoverProcesses,
  removePidFile,
  writePidFile,
} from './process-files.js';
import { ShutdownSteps, STOP_RANK } from './shutdown-steps.js';
import { startSqsLocal } from './sqs-local.js';
import { waitForHttp } from './wait-for-http.js';

export interface LocalStackOptions {
  /** Database, secrets, dev mailbox and pid files. Default `.data`. */
  dataDir?: string;
  /** API port on 127.0.0.1. Default 3000; 0 picks a free port. */
  port?: number;
  /** Default: a generated key kept in `<dataDir>/api-key`. */
  apiKey?: string;
  /** DynamoDB Local keeps tables in memory only (tests). */
  inMemory?: boolean;
  /** Use this running DynamoDB instead of starting one (tests share one JVM). */
  dynamoDbEndpoint?: string;
  /** A real relay; when neither this nor smtpRelays is set, the development relay runs. */
  smtpUrl?: string;
  /** Several real relays, as SMTP_RELAYS lists them. */
  smtpRelays?: string;
  caFile?: string;
  /** Development relay port. Default 2525, or a free port when 2525 is taken. */
  devRelayPort?: number;
  tableName?: string;
  /** Prepended to every queue name, so stacks sharing one SQS do not collide. */
  queuePrefix?: string;
  /** Extra environment for the API, worker and webhook dispatcher; wins over everything else. */
  env?: Record<string, string>;
  /** Without `webhooks`, no webhook dispatcher runs (tests of the supervisor). */
  childEntries?: { api: string; worker: string; webhooks?: string };
  logger?: Logger;
  /** Called when a child keeps crashing; the stack has stopped itself by then. */
  onFailure?: (error: Error) => void;
  apiReadyTimeoutMs?: number;
}

export interface LocalStack {
  apiUrl: string;
  apiKey: string;
  tableName: string;
  endpoints: { dynamoDb: string; sqs: string };
  queueUrls: QueueUrls;
  /** Present when the development relay runs (no smtpUrl was given). */
  relay: LocalRelay | undefined;
  /** The environment the API, worker and webhook dispatcher were started with. */
  childEnv: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalRelay {
  url: string;
  host: string;
  port: number;
  caFile: string;
  mailboxDir: string;
  mailboxUrl: string;
}

export const DEFAULT_TABLE_NAME = 'mailroom';
export const DEFAULT_CHILD_ENTRIES = {
  api: entryPath('../functions/api/local.ts'),
  worker: entryPath('../functions/worker/local.ts'),
  webhooks: entryPath('../functions/webhooks/local.ts'),
};

const HOST = '127.0.0.1';
const RELAY_USER = 'mailroom';
const CHILD_STOP_GRACE_MS = 30_000;
const API_READY_TIMEOUT_MS = 60_000;

interface Context {
  options: LocalStackOptions;
  dataDir: string;
  logger: Logger;
  shutdown: ShutdownSteps;
  /** A part died for good: stop everything, then tell the owner through onFailure. */
  fail(error: Error): void;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const logger = options.logger ?? silentLogger;
  const shutdown = new ShutdownSteps(logger);
  const context: Context = {
    options,
    dataDir,
    logger,
    shutdown,
    fail: (error) => {
      if (shutdown.stopping) return;
      logger.error('local stack failed; stopping', { error });
      void shutdown.run().then(() => options.onFailure?.(error));
    },
  };

  await mkdir(dataDir, { recursive: true });
  const lock = await acquireStackLock(dataDir);
  context.shutdown.add(STOP_RANK.lock, 'lock', () => lock.release());

  try {
    await reapLeftoverProcesses(dataDir, logger);
    return await startChildren(context, await startServices(context));
  } catch (error) {
    await context.shutdown.run();
    throw error;
  }
}

interface Services {
  apiKey: string;
  apiPort: number;
  tableName: string;
  dynamoDbEndpoint: string;
  sqsEndpoint: string;
  queueUrls: QueueUrls;
  relay: DevRelay | undefined;
  relayDir: string;
}

/** The emulators and the relay start side by side; each registers its own cleanup. */
async function startServices(context: Context): Promise<Services> {
  const { options, dataDir } = context;
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const relayDir = join(dataDir, 'dev-relay');

  const [apiKey, apiPort, dynamoDbEndpoint, sqs, relay] = await settleAll([
    options.apiKey ?? loadOrCreateSecret(join(dataDir, 'api-key'), generateApiKey),
    apiPortFor(options.port),
    startDynamoDb(context, tableName),
    startSqs(context),
    options.smtpUrl || options.smtpRelays ? undefined : startRelay(context, relayDir),
  ]);

  return {
    apiKey,
    apiPort,
    tableName,
    dynamoDbEndpoint,
    sqsEndpoint: sqs.endpoint,
    queueUrls: sqs.queueUrls,
    relay,
    relayDir,
  };
}

async function startDynamoDb(context: Context, tableName: string): Promise<string> {
  const { options, dataDir, logger } = context;
  let endpoint = options.dynamoDbEndpoint;

  if (endpoint === undefined) {
    const dynamoDb = await startDynamoDbLocal({
      dataDir,
      inMemory: options.inMemory,
      logger,
      onUnexpectedExit: (status) => {
        context.fail(new Error(`DynamoDB Local exited unexpectedly (${status})`));
      },
    });
    context.shutdown.add(STOP_RANK.dynamoDb, 'dynamodb', async () => {
      await dynamoDb.stop();
      await removePidFile(dataDir, 'dynamodb');
    });
    await writePidFile(dataDir, { name: 'dynamodb', pid: dynamoDb.pid, marker: LAUNCHER_MARKER });
    endpoint = dynamoDb.endpoint;
  }

  const client = createDynamoDbClient({ endpoint });
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
  return endpoint;
}

async function startSqs(context: Context) {
  const sqs = await startSqsLocal();
  context.shutdown.add(STOP_RANK.sqs, 'sqs', () => sqs.stop());

  const client = createSqsClient({ endpoint: sqs.endpoint });
  try {
    const queueUrls = await ensureQueues(client, { prefix: context.options.queuePrefix });
    return { endpoint: sqs.endpoint, queueUrls };
  } finally {
    client.destroy();
  }
}

async function startRelay(context: Context, relayDir: string): Promise<DevRelay> {
  const passwordFile = join(context.dataDir, 'dev-relay-password');
  const pass = await loadOrCreateSecret(passwordFile, generatePassword);
  const relay = await startDevRelay({
    dir: relayDir,
    port: context.options.devRelayPort,
    user: RELAY_USER,
    pass,
    logger: context.logger,
  });
  context.shutdown.add(STOP_RANK.relay, 'dev relay', () => relay.stop());
  return relay;
}

async function apiPortFor(port: number | undefined): Promise<number> {
  if (port === 0) return freePort();

  const wanted = port ?? DEFAULT_API_PORT;
  if (!(await isPortFree(wanted))) {
    throw new Error(`PORT ${wanted} is already in use on ${HOST}; set PORT to a free port`);
  }
  return wanted;
}

async function startChildren(context: Context, services: Services): Promise<LocalStack> {
  const { options, dataDir, logger, shutdown } = context;
  const apiUrl = `http://${HOST}:${services.apiPort}`;
  const childEnv = childEnvironment(options, dataDir, services);
  const entries = options.childEntries ?? DEFAULT_CHILD_ENTRIES;
  const stop = () => shutdown.run();

  const supervisor = new ChildSupervisor(
    [
      { name: 'api', entry: entries.api, env: childEnv },
      { name: 'worker', entry: entries.worker, env: childEnv },
      // Its own process, so a receiver that hangs never takes time from sending.
      ...(entries.webhooks ? [{ name: 'webhooks', entry: entries.webhooks, env: childEnv }] : []),
    ],
    {
      dataDir,
      logger,
      onGiveUp: (error) => context.fail(error),
    },
  );
  shutdown.add(STOP_RANK.children, 'children', () => supervisor.stop(CHILD_STOP_GRACE_MS));
  await supervisor.start();

  await waitForHttp(apiUrl, {
    timeoutMs: options.apiReadyTimeoutMs ?? API_READY_TIMEOUT_MS,
    shouldGiveUp: () => shutdown.stopping,
  });
  logger.info('local stack ready', { apiUrl });

  return {
    apiUrl,
    apiKey: services.apiKey,
    tableName: services.tableName,
    endpoints: { dynamoDb: services.dynamoDbEndpoint, sqs: services.sqsEndpoint },
    queueUrls: services.queueUrls,
    relay: services.relay && {
      url: services.relay.url,
      host: services.relay.host,
      port: services.relay.port,
      caFile: services.relay.caFile,
      mailboxDir: services.relayDir,
      mailboxUrl: `${apiUrl}/dev/messages`,
    },
    childEnv,
    stop,
  };
}

/**
 * Not passed on from the developer's environment: a real session token must not ride along
 * with the local credentials, and the relays are given as the stack decided them.
 */
const OWN_VARIABLES = new Set(['AWS_SESSION_TOKEN', 'SMTP_URL', 'SMTP_RELAYS', 'SMTP_CA_FILE']);

function childEnvironment(
  options: LocalStackOptions,
  dataDir: string,
  services: Services,
): Record<string, string> {
  const ownRelays = Boolean(options.smtpUrl || options.smtpRelays);
  const smtpUrl = options.smtpUrl ?? services.relay?.url;
  const caFile = ownRelays ? options.caFile : services.relay?.caFile;
  // The developer's environment is passed on, MAILROOM_ALLOW_PRIVATE_WEBHOOKS included:
  // local mode leaves webhooks to http and private addresses off unless it is set.
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && !OWN_VARIABLES.has(entry[0]),
  );

  return {
    ...Object.fromEntries(inherited),
    MAILROOM_MODE: 'local',
    MAILROOM_TABLE: services.tableName,
    MAILROOM_QUEUE_URL: services.queueUrls.sendQueueUrl,
    MAILROOM_DLQ_URL: services.queueUrls.sendDlqUrl,
    MAILROOM_WEBHOOK_QUEUE_URL: services.queueUrls.webhookQueueUrl,
    MAILROOM_WEBHOOK_DLQ_URL: services.queueUrls.webhookDlqUrl,
    MAILROOM_DYNAMODB_ENDPOINT: services.dynamoDbEndpoint,
    MAILROOM_SQS_ENDPOINT: services.sqsEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    MAILROOM_API_KEY: services.apiKey,
    MAILROOM_DATA_DIR: dataDir,
    PORT: String(services.apiPort),
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
    ...(options.smtpRelays ? { SMTP_RELAYS: options.smtpRelays } : {}),
    ...(caFile ? { SMTP_CA_FILE: caFile } : {}),
    ...(services.relay ? { MAILROOM_DEV_MAILBOX_DIR: services.relayDir } : {}),
    ...options.env,
  };
}

/**
 * Waits for every task, then fails with the first error. Unlike Promise.all, nothing is
 * still starting when the caller begins to clean up after a failure.
 */
async function settleAll<T extends readonly unknown[]>(
  tasks: readonly [...{ [K in keyof T]: T[K] | Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(tasks);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  const values = results.map((result) => (result as PromiseFulfilledResult<unknown>).value);
  return values as unknown as T;
}
