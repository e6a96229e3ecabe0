import type { DynamoDbLocal } from '../local/dynamodb-local.js';
import type { ChildOutput } from './bench-child.js';
import type { BenchContext } from './bench-context.js';
import { totalOf } from './call-count-files.js';
import { callsTable, writeCallsOf } from './calls-table.js';
import { cpuRows } from './cpu-rows.js';
import { formatNumber, formatRatio } from './format-number.js';
import { markdownTable, type Cell } from './markdown-table.js';
import { measureProduct, type ProductRun } from './measure-product.js';
import type { NaiveResult } from './naive-phase.js';
import { outputSummary } from './output-summary.js';
import { startProductStack } from './product-stack.js';

export interface ProductResult extends ProductRun {
  callsPerEmail: number;
  writeCallsPerEmail: number;
  output: ChildOutput;
}

/**
 * Phase 4: the real product (`startLocalStack`: API and worker processes, the SQS
 * emulator, DynamoDB Local) delivering to the sink, compared with the naive baseline.
 */
export async function productPhase(
  context: BenchContext,
  dynamoDb: DynamoDbLocal,
  naive: NaiveResult | undefined,
): Promise<ProductResult> {
  const stack = await startProductStack({
    name: 'product',
    dir: context.dir,
    dynamoDbEndpoint: dynamoDb.endpoint,
    tableName: 'bench-product',
    smtpUrl: context.sink.relayUrl(),
    caFile: context.sink.info.caFile,
  });
  context.teardown.add('product stack', () => stack.stop());

  try {
    const measured = await measureProduct(context, stack, dynamoDb.pid);
    const emails = measured.run.accepted;
    const result: ProductResult = {
      ...measured,
      callsPerEmail: totalOf(measured.calls) / emails,
      writeCallsPerEmail: writeCallsOf(measured.calls) / emails,
      output: stack.child.output,
    };

    context.print(comparisonTable(result, naive));
    context.print(callsTable(measured.calls, emails));
    context.print(markdownTable(['process during the measured run', 'CPU cores'],
      cpuRows(measured.cores).map(([name, value]) => [name.replace('CPU cores: ', ''), value])));
    context.print(outputSummary('The product', stack.child.output));
    for (const notice of stack.child.notices) context.print(`Notice: ${notice}`);
    return result;
  } finally {
    // The stack stops while the next phase starts; the end of the benchmark waits for it.
    void stack.stop();
  }
}

function comparisonTable(product: ProductResult, naive: NaiveResult | undefined): string {
  const { run, probe, statuses } = product;
  const base = naive?.run;
  const ratio = (mine: number | undefined, theirs: number | undefined) =>
    mine === undefined || theirs === undefined ? undefined : formatRatio(mine / theirs);
  const row = (label: string, mine: number | undefined, theirs: number | undefined,
    digits = 0): Cell[] => [label, formatNumber(mine, digits), formatNumber(theirs, digits),
    ratio(mine, theirs)];
  const sent = Object.entries(statuses.byStatus).map(([status, n]) => `${n} ${status}`);

  return markdownTable(['figure', 'product', 'naive baseline', 'product ÷ naive'], [
    ['emails posted / accepted (concurrency)', `${run.posted} / ${run.accepted}`,
      base ? `${base.posted} / ${base.accepted}` : undefined, undefined],
    row('HTTP accepted / s', run.acceptRate, base?.acceptRate),
    row('POST p50 ms', run.postP50Ms, base?.postP50Ms, 1),
    row('POST p99 ms', run.postP99Ms, base?.postP99Ms, 1),
    row('**delivered emails / s** (first POST → last 250)', run.e2eRate, base?.e2eRate),
    row('latency POST → 250, p50 ms', run.latencyP50Ms, base?.latencyP50Ms),
    row('latency POST → 250, p99 ms', run.latencyP99Ms, base?.latencyP99Ms),
    row('one email at a time: latency p50 ms', probe.p50Ms, undefined),
    ['delivered / missing / duplicates / other ids',
      `${run.delivered} / ${run.missing} / ${run.duplicates} / ${run.strays}`,
      base ? `${base.delivered} / ${base.missing} / ${base.duplicates} / ${base.strays}`
        : undefined, undefined],
    ['sink messages for the measured emails (expected ' + run.accepted + ')',
      run.delivered + run.duplicates, undefined, undefined],
    [`status via GET /v1/emails/{id} (${statuses.checked} sampled)`, sent.join(', '),
      undefined, undefined],
    ['new SMTP connections during the run (pooled)', product.sinkConnections, undefined,
      undefined],
    ['refused POSTs (first error)', `${run.refused}${run.firstError ? ` (${run.firstError})` : ''}`,
      base?.refused, undefined],
  ]);
}
