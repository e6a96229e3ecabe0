/**
 * `npm run bench`: Mailroom's throughput, latency and AWS calls per email on this machine,
 * each figure read against a limit measured in the same run (see bench/README.md).
 * Everything listens on and talks to 127.0.0.1; every phase has a deadline; whatever the
 * benchmark starts is stopped at the end, on an error and on Ctrl-C.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local.js';
import type { BenchContext } from './bench-context.js';
import { parseBenchOptions, UsageError, type BenchOptions } from './bench-options.js';
import type { BenchResults } from './bench-results.js';
import { failoverPhase } from './failover-phase.js';
import { markdownTable } from './markdown-table.js';
import { naivePhase } from './naive-phase.js';
import { outputSummary } from './output-summary.js';
import { productPhase } from './product-phase.js';
import { putRatePhase } from './put-rate-phase.js';
import { SmtpSink } from './smtp-sink.js';
import { summaryFigures } from './summary-figures.js';
import { summaryTable } from './summary-table.js';
import { Teardown } from './teardown.js';
import { withDeadline } from './with-deadline.js';
import { writeItemsPhase } from './write-items-phase.js';

const PHASE_TIMEOUT_MS = 5 * 60_000;

async function main(): Promise<number> {
  // The SDK warns at every start on Node 20; bench/README.md and the main README say so.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    (error.help ? process.stdout : process.stderr).write(`${error.message}\n`);
    return error.help ? 0 : 2;
  }

  const teardown = new Teardown();
  const stopOn = (reason: string, code: number) => {
    if (teardown.stopping) return;
    process.stderr.write(`\nbench: ${reason}; stopping everything it started\n`);
    void teardown.run().then(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => stopOn(`${signal} received`, 130));
  }
  const overall = setTimeout(() => stopOn('the total time limit passed', 1),
    options.totalTimeoutMs);

  const dir = await mkdtemp(join(tmpdir(), 'mailroom-bench-'));
  teardown.add('temporary folder', () => rm(dir, { recursive: true, force: true }));
  try {
    return await runPhases(options, dir, teardown);
  } finally {
    clearTimeout(overall);
    process.stdout.write('Stopping the processes the benchmark started...\n');
    await teardown.run();
  }
}

async function runPhases(options: BenchOptions, dir: string, teardown: Teardown) {
  const print = (text: string) => process.stdout.write(`${text}\n\n`);
  const results: BenchResults = {
    options, startedAt: new Date().toISOString(), node: process.version, errors: {},
  };
  const phase = async <T>(title: string, work: () => Promise<T>): Promise<T | undefined> => {
    if (teardown.stopping) return undefined;
    print(`## ${title}`);
    const started = Date.now();
    try {
      const result = await withDeadline(work(), PHASE_TIMEOUT_MS, title);
      print(`_${title}: ${((Date.now() - started) / 1000).toFixed(1)} s_`);
      return result;
    } catch (error) {
      results.errors[title] = String((error as Error).message ?? error);
      print(`**${title} failed:** ${results.errors[title]}`);
      return undefined;
    }
  };

  print(`# Mailroom benchmark\n\n${environment(options)}`);
  const sink = await phase('1. SMTP sink', async () => {
    const started = await SmtpSink.start(dir);
    teardown.add('SMTP sink', () => started.stop());
    print(sinkTable(started));
    return started;
  });
  if (!sink) return 1;
  const context: BenchContext = { options, dir, sink, teardown, print };

  results.naive = await phase('2. Naive baseline (the limit)', () => naivePhase(context));
  // The product phases need the database even if its own measurement fails.
  const started: { dynamoDb?: DynamoDbLocal } = {};
  results.putRate = await phase('3. DynamoDB Local bound', async () => {
    const dynamoDb = await startDynamoDbLocal({ dataDir: dir, inMemory: true });
    teardown.add('DynamoDB Local', () => dynamoDb.stop());
    started.dynamoDb = dynamoDb;
    return putRatePhase(context, dynamoDb, 'DynamoDB Local, new JVM');
  });
  if (started.dynamoDb) await productPhases(context, started.dynamoDb, results, phase);

  const figures = summaryFigures(results);
  print('## 6. Summary');
  print(summaryTable(figures, results));
  print(`**Limit:** ${figures.verdict}`);
  if (sink.output.count > 0) print(outputSummary('The SMTP sink', sink.output));
  print(`Load average at the end: ${loadavg().map((value) => value.toFixed(2)).join(', ')}`);
  if (options.json) {
    await writeFile(options.json, JSON.stringify({ ...results, summary: figures }, withoutIds, 2));
    print(`Results written to ${options.json}`);
  }

  const runs = [results.naive?.run, results.product?.run, results.failover?.run];
  const incorrect = runs.some((run) => run && (run.missing > 0 || run.duplicates > 0));
  return Object.keys(results.errors).length > 0 || incorrect ? 1 : 0;
}

async function productPhases(
  context: BenchContext,
  dynamoDb: DynamoDbLocal,
  results: BenchResults,
  phase: <T>(title: string, work: () => Promise<T>) => Promise<T | undefined>,
): Promise<void> {
  results.product = await phase('4. The product',
    () => productPhase(context, dynamoDb, results.naive));
  results.writeItems = await phase('4b. DynamoDB items written per email',
    () => writeItemsPhase(context, dynamoDb));
  results.failover = await phase('5. Relay failover',
    () => failoverPhase(context, dynamoDb, results.product));
  // The same JVM, now past its warm-up and in the same machine state as the product runs.
  results.putRateAgain = await phase('5b. DynamoDB Local bound, measured again',
    () => putRatePhase(context, dynamoDb, 'DynamoDB Local, after the product runs'));
}

function environment(options: BenchOptions): string {
  return markdownTable(['setting', 'value'], [
    ['node', process.version],
    ['CPU cores (shared with everything else running)', cpus().length],
    ['load average at the start', loadavg().map((value) => value.toFixed(2)).join(', ')],
    ['emails per measured run, concurrency, warm-up',
      `${options.emails}, ${options.concurrency}, ${options.warmup}`],
  ]);
}

function sinkTable(sink: SmtpSink): string {
  const { info } = sink;
  return markdownTable(['SMTP sink (smtp-server, its own process)', 'value'], [
    ['relay', `127.0.0.1:${info.port}: STARTTLS and AUTH PLAIN required`],
    ['certificate', 'from a throw-away CA, SAN localhost and 127.0.0.1; senders trust the CA '
      + 'file (SMTP_CA_FILE), certificate checks stay on'],
    ['"down" relay', `127.0.0.1:${info.downPort}: closes every connection at once`],
    ['greeting', 'smtp-server waits a fixed 100 ms before each 220 greeting; connections are '
      + 'pooled, so this is paid once per connection, not per email'],
  ]);
}

/** The JSON file keeps figures, not the thousands of email ids behind them. */
function withoutIds(key: string, value: unknown): unknown {
  return key === 'ids' ? undefined : value;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`bench: ${String((error as Error).stack ?? error)}\n`);
  return 1;
});
