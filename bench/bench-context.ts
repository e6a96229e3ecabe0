import type { BenchOptions } from './bench-options.js';
import type { SmtpSink } from './smtp-sink.js';
import type { Teardown } from './teardown.js';

/** What every phase of the benchmark shares. */
export interface BenchContext {
  options: BenchOptions;
  /** A temporary folder for this run: CA file, stack data, call counts. */
  dir: string;
  sink: SmtpSink;
  teardown: Teardown;
  print(text: string): void;
}
