/**
 * DynamoDB Local as a child JVM that listens on 127.0.0.1 only, with telemetry off.
 * The JVM exits by itself when this process dies (it watches the stdin pipe we hold), and
 * `stop()` ends it with SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { ListTablesCommand } from '@aws-sdk/client-dynamodb';

import { createDynamoDbClient } from '../shared/aws/clients.js';
import { silentLogger, type Logger } from '../shared/log/logger.js';
import { prepareDynamoDbLauncher } from './dynamodb-launcher.js';
import { JavaMissingError } from './java-runtime.js';
import { hasExited, stopChildProcess } from './stop-child-process.js';

export interface DynamoDbLocalOptions {
  /** Holds the database (`<dataDir>/dynamodb`) and the compiled launcher. Default `.data`. */
  dataDir?: string;
  /** Keep tables in memory only (tests); nothing is written under `<dataDir>/dynamodb`. */
  inMemory?: boolean;
  /** Port on 127.0.0.1; 0 (the default) lets the system pick a free one. */
  port?: number;
  logger?: Logger;
  startTimeoutMs?: number;
  /** Called if the JVM exits after it was ready without stop() having been called. */
  onUnexpectedExit?: (status: number | string | null) => void;
}

export interface DynamoDbLocal {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

export const DEFAULT_DATA_DIR = '.data';
const HOST = '127.0.0.1';
const READY_LINE = /^mailroom-dynamodb-local listening ([\d.]+):(\d+)$/;
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const PROBE_INTERVAL_MS = 100;
const OUTPUT_LINES_KEPT = 20;

export async function startDynamoDbLocal(
  options: DynamoDbLocalOptions = {},
): Promise<DynamoDbLocal> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;

  const launcher = await prepareDynamoDbLauncher(join(dataDir, 'java-classes'));
  const storage = options.inMemory ? ['-inMemory'] : ['-dbPath', join(dataDir, 'dynamodb')];
  if (!options.inMemory) await mkdir(join(dataDir, 'dynamodb'), { recursive: true });

  const child = spawn('java', [
    `-Dmailroom.host=${HOST}`,
    ...launcher,
    ...storage,
    // One database for every access key and region, as the product uses one table name.
    '-sharedDb',
    '-disableTelemetry',
    '-port', String(options.port ?? 0),
  ], {
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal must not stop the database before
    // the processes that still write to it have finished.
    detached: true,
  });
  // Last resort if this process exits without stop(): SIGTERM still lets the database
  // close its files, and nothing here would be left to send a SIGKILL later.
  const endOnExit = () => child.kill('SIGTERM');
  process.once('exit', endOnExit);

  let stopping = false;
  const stop = async () => {
    stopping = true;
    process.off('exit', endOnExit);
    await stopChildProcess(child, { graceMs: STOP_GRACE_MS });
  };

  try {
    const port = await waitForReadyLine(child, logger, timeoutMs);
    const endpoint = `http://${HOST}:${port}`;
    await waitUntilServing(endpoint, child, deadline);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      process.off('exit', endOnExit);
      logger.error('dynamodb local exited unexpectedly', { status: signal ?? code });
      options.onUnexpectedExit?.(signal ?? code);
    });
    logger.info('dynamodb local ready', { endpoint, pid: child.pid, inMemory: !!options.inMemory });
    return { endpoint, pid: child.pid ?? 0, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForReadyLine(
  child: ChildProcess,
  logger: Logger,
  timeoutMs: number,
): Promise<number> {
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > OUTPUT_LINES_KEPT) recent.shift();
  };

  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => {
      const output = recent.join(' | ');
      reject(new Error(`DynamoDB Local did not start within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);

    createInterface({ input: child.stderr! }).on('line', (line) => {
      remember(line);
      logger.warn('dynamodb local', { output: line });
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = READY_LINE.exec(line);
      if (ready) {
        clearTimeout(timer);
        resolvePort(Number(ready[2]));
        return;
      }
      remember(line);
      logger.debug('dynamodb local', { output: line });
    });

    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') reject(new JavaMissingError());
      else reject(new Error(`could not start java: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const output = recent.join(' | ');
      reject(new Error(`DynamoDB Local exited (${signal ?? code}) before it was ready: ${output}`));
    });
  });
}

/** The launcher reports a bound socket; one answered ListTables proves the service works. */
async function waitUntilServing(endpoint: string, child: ChildProcess, deadline: number) {
  const client = createDynamoDbClient({ endpoint });

  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (hasExited(child) || Date.now() > deadline) throw error;
        await new Promise((done) => setTimeout(done, PROBE_INTERVAL_MS));
      }
    }
  } finally {
    client.destroy();
  }
}
