import type { BenchContext } from './bench-context.js';
import { subtractCounts, type CallCounts } from './call-count-files.js';
import { CpuWatch } from './cpu-watch.js';
import { deliverBatch, type BatchFigures } from './deliver-batch.js';
import { EMAIL_BODY_JSON } from './email-body.js';
import { probeLatency, type LatencyProbe } from './probe-latency.js';
import { productPids } from './product-pids.js';
import type { ProductStack } from './product-stack.js';
import { verifyStatuses, type StatusCheck } from './verify-statuses.js';

export interface ProductRun {
  run: BatchFigures;
  /** AWS calls of every product process during the measured run (and its settling). */
  calls: CallCounts;
  statuses: StatusCheck;
  cores: Record<string, number | undefined>;
  /** SMTP connections the sink and the "down" relay accepted during the measured run. */
  sinkConnections: number;
  downConnections: number;
  /** One email at a time, after the measured run. */
  probe: LatencyProbe;
}

const SETTLE_TIMEOUT_MS = 15_000;
const STATUS_TIMEOUT_MS = 20_000;
const PROBE_TIMEOUT_MS = 60_000;

/**
 * Warm-up, then the measured run against a started product stack: delivery figures, AWS
 * calls (the difference of the call-count files around the run), CPU per process, a status
 * check through the API, and a one-at-a-time latency probe.
 */
export async function measureProduct(
  context: BenchContext,
  stack: ProductStack,
  dynamoDbPid: number,
): Promise<ProductRun> {
  const { options, sink } = context;
  const batch = {
    target: stack.target,
    sink,
    body: EMAIL_BODY_JSON,
    concurrency: options.concurrency,
    postTimeoutMs: options.postTimeoutMs,
    deliveryTimeoutMs: options.deliveryTimeoutMs,
  };
  if (options.warmup > 0) await deliverBatch({ ...batch, count: options.warmup });

  const before = await stack.callCounts.settled(Date.now() + SETTLE_TIMEOUT_MS);
  const sinkBefore = await sink.stats();
  const watch = CpuWatch.start({
    ...productPids((await stack.callCounts.read()).keys()),
    'SQS emulator (stack process)': stack.child.pid,
    'DynamoDB Local': dynamoDbPid,
    'SMTP sink': sink.pid,
    'load generator': process.pid,
  });

  const run = await deliverBatch({ ...batch, count: options.emails });
  const cores = watch.cores();
  const sinkAfter = await sink.stats();
  // Counts first: the status reads below are API calls too, not part of sending.
  const after = await stack.callCounts.settled(Date.now() + SETTLE_TIMEOUT_MS);
  const statuses = await verifyStatuses(stack.target, run.ids, options.statusSample,
    Date.now() + STATUS_TIMEOUT_MS);
  const probe = await probeLatency({
    target: stack.target,
    sink,
    body: EMAIL_BODY_JSON,
    count: options.probeEmails,
    deadline: Date.now() + PROBE_TIMEOUT_MS,
  });

  return {
    run,
    calls: subtractCounts(after, before),
    statuses,
    cores,
    sinkConnections: sinkAfter.connections - sinkBefore.connections,
    downConnections: sinkAfter.downConnections - sinkBefore.downConnections,
    probe,
  };
}
