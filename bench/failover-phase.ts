import type { DynamoDbLocal } from '../local/dynamodb-local.js';
import type { ChildOutput } from './bench-child.js';
import type { BenchContext } from './bench-context.js';
import { totalOf } from './call-count-files.js';
import { formatNumber, formatRatio } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import { measureProduct, type ProductRun } from './measure-product.js';
import { outputSummary } from './output-summary.js';
import type { ProductResult } from './product-phase.js';
import { startProductStack } from './product-stack.js';

export interface FailoverResult extends ProductRun {
  /** Delivered emails/s with the primary relay down ÷ with every relay up. */
  throughputRatio?: number;
  /** p50 latency with the primary down minus p50 with it up, under load. */
  addedP50UnderLoadMs?: number;
  /** The same, one email at a time: what a failover itself costs. */
  addedP50OneAtATimeMs?: number;
  downConnectionsPerEmail: number;
  callsPerEmail: number;
  output: ChildOutput;
}

/**
 * Phase 5: two relays, the first in priority order down (its port closes every connection
 * at once), the second the sink. Every email should fail over and be delivered once.
 */
export async function failoverPhase(
  context: BenchContext,
  dynamoDb: DynamoDbLocal,
  allUp: ProductResult | undefined,
): Promise<FailoverResult> {
  const { sink } = context;
  const relays = [
    sink.relayUrl(sink.info.downPort, '?name=down&priority=0'),
    sink.relayUrl(sink.info.port, '?name=up&priority=1'),
  ].join(' ');
  const stack = await startProductStack({
    name: 'failover',
    dir: context.dir,
    dynamoDbEndpoint: dynamoDb.endpoint,
    tableName: 'bench-failover',
    // Naming a relay keeps the development relay from starting; SMTP_RELAYS replaces it.
    smtpUrl: sink.relayUrl(),
    caFile: sink.info.caFile,
    env: { SMTP_URL: '', SMTP_RELAYS: relays, SMTP_CA_FILE: sink.info.caFile },
  });
  context.teardown.add('product stack (failover)', () => stack.stop());

  try {
    const measured = await measureProduct(context, stack, dynamoDb.pid);
    const up = allUp?.run;
    const difference = (down: number | undefined, base: number | undefined) =>
      down === undefined || base === undefined ? undefined : down - base;
    const result: FailoverResult = {
      ...measured,
      ...(up ? { throughputRatio: measured.run.e2eRate / up.e2eRate } : {}),
      addedP50UnderLoadMs: difference(measured.run.latencyP50Ms, up?.latencyP50Ms),
      addedP50OneAtATimeMs: difference(measured.probe.p50Ms, allUp?.probe.p50Ms),
      downConnectionsPerEmail: measured.downConnections / measured.run.accepted,
      callsPerEmail: totalOf(measured.calls) / measured.run.accepted,
      output: stack.child.output,
    };

    context.print(failoverTable(result, allUp));
    context.print(outputSummary('The product (failover)', stack.child.output));
    for (const notice of stack.child.notices) context.print(`Notice: ${notice}`);
    return result;
  } finally {
    void stack.stop();
  }
}

function failoverTable(result: FailoverResult, allUp: ProductResult | undefined): string {
  const { run, probe, statuses } = result;
  const plus = (ms: number | undefined) =>
    ms === undefined ? undefined : `${ms >= 0 ? '+' : ''}${formatNumber(ms)} ms`;
  const sent = Object.entries(statuses.byStatus).map(([status, n]) => `${n} ${status}`);

  return markdownTable(['figure', 'primary down', 'all up (phase 4)', 'down vs up'], [
    ['**delivered emails / s**', formatNumber(run.e2eRate), formatNumber(allUp?.run.e2eRate),
      `**${formatRatio(result.throughputRatio)}**`],
    ['latency POST → 250, p50 ms', formatNumber(run.latencyP50Ms),
      formatNumber(allUp?.run.latencyP50Ms), plus(result.addedP50UnderLoadMs)],
    ['latency POST → 250, p99 ms', formatNumber(run.latencyP99Ms),
      formatNumber(allUp?.run.latencyP99Ms), undefined],
    ['**one email at a time: latency p50 ms**', formatNumber(probe.p50Ms),
      formatNumber(allUp?.probe.p50Ms), `**${plus(result.addedP50OneAtATimeMs) ?? '-'}**`],
    ['HTTP accepted / s', formatNumber(run.acceptRate), formatNumber(allUp?.run.acceptRate),
      allUp ? formatRatio(run.acceptRate / allUp.run.acceptRate) : undefined],
    ['connections to the down relay per email', formatNumber(result.downConnectionsPerEmail, 2),
      '-', undefined],
    ['AWS calls per email', formatNumber(result.callsPerEmail, 2),
      formatNumber(allUp?.callsPerEmail, 2), undefined],
    ['delivered / missing / duplicates / other ids',
      `${run.delivered} / ${run.missing} / ${run.duplicates} / ${run.strays}`,
      allUp ? `${allUp.run.delivered} / ${allUp.run.missing} / ${allUp.run.duplicates}`
        + ` / ${allUp.run.strays}` : undefined, undefined],
    [`status via GET /v1/emails/{id} (${statuses.checked} sampled)`, sent.join(', '),
      undefined, undefined],
  ]);
}
