import type { BenchOptions } from './bench-options.js';
import type { FailoverResult } from './failover-phase.js';
import type { NaiveResult } from './naive-phase.js';
import type { ProductResult } from './product-phase.js';
import type { PutRateResult } from './put-rate-phase.js';
import type { WriteItemsResult } from './write-items-phase.js';

/** Everything one benchmark run measured; a phase that failed has an entry in `errors`. */
export interface BenchResults {
  options: BenchOptions;
  startedAt: string;
  node: string;
  naive?: NaiveResult;
  putRate?: PutRateResult;
  /** The same measurement after the product runs; the summary uses the higher rate. */
  putRateAgain?: PutRateResult;
  product?: ProductResult;
  writeItems?: WriteItemsResult;
  failover?: FailoverResult;
  errors: Record<string, string>;
}
