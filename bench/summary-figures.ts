import type { BenchResults } from './bench-results.js';
import { formatNumber, formatRatio } from './format-number.js';

export const NAIVE_RATIO_TARGET = 0.35;
export const BOUND_RATIO_TARGET = 0.7;
/** A product this close to a limit is said to have been bound by it. */
const LIMIT_REACHED = 0.7;

/** The figures of the summary, each against its limit from the same run. */
export interface SummaryFigures {
  productRate?: number;
  naiveRate?: number;
  naiveRatio?: number;
  /** The higher of the two PutItem/s measurements. */
  putRate?: number;
  putRates: number[];
  itemsPerEmail?: number;
  writeCallsPerEmail?: number;
  /** PutItem/s ÷ items written per email. */
  bound?: number;
  /** PutItem/s ÷ write calls per email, for reference. */
  callBound?: number;
  boundRatio?: number;
  /** The lower of 0.35 × naive and 0.7 × bound. */
  binding?: { rate: number; from: 'naive' | 'emulator bound' };
  callsPerEmail?: number;
  /** Which limit bound the result, in words. */
  verdict: string;
}

export function summaryFigures(results: BenchResults): SummaryFigures {
  const productRate = results.product?.run.e2eRate;
  const naiveRate = results.naive?.run.e2eRate;
  const itemsPerEmail = results.writeItems?.itemsPerEmail;
  const writeCallsPerEmail = results.product?.writeCallsPerEmail;
  const putRates = [results.putRate?.rate, results.putRateAgain?.rate]
    .filter((rate) => rate !== undefined);
  const putRate = putRates.length > 0 ? Math.max(...putRates) : undefined;
  const bound = divide(putRate, itemsPerEmail);
  const targets = [
    naiveRate === undefined ? undefined
      : { rate: NAIVE_RATIO_TARGET * naiveRate, from: 'naive' as const },
    bound === undefined ? undefined
      : { rate: BOUND_RATIO_TARGET * bound, from: 'emulator bound' as const },
  ].filter((target) => target !== undefined).sort((a, b) => a.rate - b.rate);

  const figures: Omit<SummaryFigures, 'verdict'> = {
    productRate,
    naiveRate,
    naiveRatio: divide(productRate, naiveRate),
    putRate,
    putRates,
    itemsPerEmail,
    writeCallsPerEmail,
    bound,
    callBound: divide(putRate, writeCallsPerEmail),
    boundRatio: divide(productRate, bound),
    binding: targets[0],
    callsPerEmail: results.product?.callsPerEmail,
  };
  return { ...figures, verdict: limitVerdict(figures, results.product?.cores ?? {}) };
}

function divide(value: number | undefined, by: number | undefined): number | undefined {
  return value === undefined || !by ? undefined : value / by;
}

function limitVerdict(
  figures: Omit<SummaryFigures, 'verdict'>,
  cores: Record<string, number | undefined>,
): string {
  const { naiveRatio, boundRatio, bound, naiveRate } = figures;
  if (naiveRatio === undefined || boundRatio === undefined || !bound || !naiveRate) {
    return 'Not every limit was measured; see the failed phases above.';
  }

  let limit: string;
  if (boundRatio >= LIMIT_REACHED) limit = 'DynamoDB Local was the limit.';
  else if (naiveRatio >= LIMIT_REACHED) {
    limit = 'The HTTP and SMTP work (what the naive pipeline does too) was the limit.';
  } else {
    const busiest = busiestProcess(cores);
    limit = 'Neither limit was reached: the product\'s own work was the limit'
      + (busiest ? ` (busiest process: ${busiest})` : '') + '.';
  }

  const lower = bound < naiveRate
    ? `DynamoDB Local's bound (${formatNumber(bound)} emails/s) is the lower ceiling, below the `
      + `naive pipeline (${formatNumber(naiveRate)} emails/s)`
    : `The naive pipeline (${formatNumber(naiveRate)} emails/s) is the lower ceiling, below `
      + `DynamoDB Local's bound (${formatNumber(bound)} emails/s)`;
  const used = Object.values(cores).filter((value) => value !== undefined);
  const total = used.reduce((sum, value) => sum + value, 0);
  const machine = used.length === 0 ? '' : ` During the product run its processes, the `
    + `emulators, the sink and the load generator used ${formatNumber(total, 2)} cores together.`;

  return `${limit} ${lower}; the product reached ${formatRatio(boundRatio)} of the bound `
    + `and ${formatRatio(naiveRatio)} of the naive pipeline.${machine}`;
}

function busiestProcess(cores: Record<string, number | undefined>): string | undefined {
  const [name, value] = Object.entries(cores)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .sort((a, b) => b[1] - a[1])[0] ?? [];
  return name === undefined ? undefined : `${name}, ${formatNumber(value, 2)} cores`;
}
