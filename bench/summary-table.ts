import type { BenchResults } from './bench-results.js';
import { CALLS_PER_EMAIL_TARGET } from './calls-table.js';
import { formatNumber, formatRatio } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import {
  BOUND_RATIO_TARGET,
  NAIVE_RATIO_TARGET,
  type SummaryFigures,
} from './summary-figures.js';

/** Phase 6: the figures that matter in one table, each with its target and verdict. */
export function summaryTable(figures: SummaryFigures, results: BenchResults): string {
  const { productRate, binding } = figures;
  const { failover } = results;
  const bindingRate = binding?.rate;

  return markdownTable(['summary', 'value', 'target', 'verdict'], [
    ['product: delivered emails / s', formatNumber(productRate), '', ''],
    ['naive baseline: delivered emails / s', formatNumber(figures.naiveRate), '', ''],
    ['**product ÷ naive**', `**${formatRatio(figures.naiveRatio)}**`,
      `≥ ${NAIVE_RATIO_TARGET}`, verdict(figures.naiveRatio, (v) => v >= NAIVE_RATIO_TARGET)],
    ['DynamoDB Local: conditional PutItem / s (higher of phases 3 and 5b)',
      `${formatNumber(figures.putRate)} `
        + `(${figures.putRates.map((rate) => formatNumber(rate)).join(' / ')})`, '', ''],
    ['product: items written per email (write calls per email)',
      `${formatNumber(figures.itemsPerEmail, 2)} `
        + `(${formatNumber(figures.writeCallsPerEmail, 2)})`, '', ''],
    ['emulator bound: emails / s (PutItem/s ÷ items per email)',
      formatNumber(figures.bound), '', ''],
    ['for reference: PutItem/s ÷ write calls per email', formatNumber(figures.callBound),
      '', ''],
    ['**product ÷ emulator bound**', `**${formatRatio(figures.boundRatio)}**`,
      `≥ ${BOUND_RATIO_TARGET}`, verdict(figures.boundRatio, (v) => v >= BOUND_RATIO_TARGET)],
    ['**binding target**: lower of 0.35 × naive and 0.7 × emulator bound',
      binding ? `${formatNumber(binding.rate)} emails/s (from the ${binding.from})` : '-',
      'product ≥ target', bindingRate === undefined ? 'not measured'
        : verdict(productRate, (v) => v >= bindingRate)],
    ['**AWS calls per email** (all processes, polls and sweeps included)',
      `**${formatNumber(figures.callsPerEmail, 2)}**`, `≤ ${CALLS_PER_EMAIL_TARGET}`,
      verdict(figures.callsPerEmail, (v) => v <= CALLS_PER_EMAIL_TARGET)],
    ['failover: emails / s with the primary relay down ÷ all up',
      formatRatio(failover?.throughputRatio), '', ''],
    ['failover: added p50 latency, one email at a time',
      milliseconds(failover?.addedP50OneAtATimeMs), '', ''],
    ['failover: added p50 latency under load (mostly queueing)',
      milliseconds(failover?.addedP50UnderLoadMs), '', ''],
    ['every email delivered once (all measured runs)', deliveredOnce(results), '', ''],
  ]);
}

function verdict(value: number | undefined, meets: (value: number) => boolean): string {
  if (value === undefined) return 'not measured';
  return meets(value) ? 'meets' : '**misses**';
}

function milliseconds(value: number | undefined): string {
  return value === undefined ? '-' : `${value >= 0 ? '+' : ''}${formatNumber(value)} ms`;
}

function deliveredOnce(results: BenchResults): string {
  const runs = [results.naive?.run, results.product?.run, results.failover?.run]
    .filter((run) => run !== undefined);
  if (runs.length === 0) return '-';

  const missing = runs.reduce((sum, run) => sum + run.missing + run.refused, 0);
  const duplicates = runs.reduce((sum, run) => sum + run.duplicates, 0);
  return missing === 0 && duplicates === 0 ? 'yes'
    : `**no**: ${missing} missing or refused, ${duplicates} duplicates`;
}
