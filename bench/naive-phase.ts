import { BenchChild } from './bench-child.js';
import type { BenchContext } from './bench-context.js';
import { cpuRows } from './cpu-rows.js';
import { CpuWatch } from './cpu-watch.js';
import { deliverBatch, type BatchFigures } from './deliver-batch.js';
import { EMAIL_BODY_JSON } from './email-body.js';
import { formatNumber } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import type { NaiveSettings, NaiveStats } from './naive-pipeline.js';
import { outputSummary } from './output-summary.js';

export interface NaiveResult {
  concurrency: number;
  maxConnections: number;
  run: BatchFigures;
  stats: NaiveStats;
  cores: Record<string, number | undefined>;
}

const NAIVE_ENTRY = new URL('./naive-pipeline.ts', import.meta.url);
const READY_TIMEOUT_MS = 30_000;

/** Phase 2: the naive one-process pipeline, the limit the product is compared with. */
export async function naivePhase(context: BenchContext): Promise<NaiveResult> {
  const { options, sink } = context;
  const child = await BenchChild.start('naive pipeline', NAIVE_ENTRY, {
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  context.teardown.add('naive pipeline', () => child.stop());

  try {
    const settings: NaiveSettings = {
      smtpPort: sink.info.port,
      user: sink.info.user,
      pass: sink.info.pass,
      caFile: sink.info.caFile,
      maxConnections: options.naiveConnections,
    };
    const { port } = await child.request<{ port: number }>('start', settings);
    const batch = {
      target: { url: `http://127.0.0.1:${port}` },
      sink,
      body: EMAIL_BODY_JSON,
      concurrency: options.concurrency,
      postTimeoutMs: options.postTimeoutMs,
      deliveryTimeoutMs: options.deliveryTimeoutMs,
    };

    if (options.warmup > 0) await deliverBatch({ ...batch, count: options.warmup });
    const watch = CpuWatch.start({
      'naive pipeline': child.pid, 'SMTP sink': sink.pid, 'load generator': process.pid,
    });
    const run = await deliverBatch({ ...batch, count: options.emails });
    const cores = watch.cores();
    const stats = await child.request<NaiveStats>('stats');

    const result: NaiveResult = {
      concurrency: options.concurrency,
      maxConnections: options.naiveConnections,
      run,
      stats,
      cores,
    };
    context.print(naiveTable(result));
    if (child.output.count > 0) context.print(outputSummary('The naive pipeline', child.output));
    return result;
  } finally {
    await child.stop();
  }
}

function naiveTable(result: NaiveResult): string {
  const { run, stats } = result;
  return markdownTable(['naive baseline', 'value'], [
    ['emails posted / accepted (concurrency)',
      `${run.posted} / ${run.accepted} (${result.concurrency})`],
    ['SMTP pool', `${result.maxConnections} connections, ${result.maxConnections * 2} in flight`],
    ['HTTP accepted / s', formatNumber(run.acceptRate)],
    ['POST p50 / p99 ms', `${formatNumber(run.postP50Ms, 1)} / ${formatNumber(run.postP99Ms, 1)}`],
    ['**delivered emails / s** (first POST → last 250)', `**${formatNumber(run.e2eRate)}**`],
    ['latency POST → 250, p50 / p99 ms',
      `${formatNumber(run.latencyP50Ms)} / ${formatNumber(run.latencyP99Ms)}`],
    ['delivered / missing / duplicates', `${run.delivered} / ${run.missing} / ${run.duplicates}`],
    ['send failures', `${stats.failed}${stats.firstFailure ? ` (${stats.firstFailure})` : ''}`],
    ['peak in-memory queue depth', stats.peakDepth],
    ...cpuRows(result.cores),
  ]);
}

