/**
 * Counts the AWS API calls this process makes, by service and operation. The benchmark
 * reports calls per email from these figures, so every client the product creates goes
 * through `countCalls`.
 */
export type CallCounts = Record<string, number>;

const counts: CallCounts = {};

export function recordCall(service: string, operation: string): void {
  const key = `${service}.${operation}`;
  counts[key] = (counts[key] ?? 0) + 1;
}

export function callCounts(): CallCounts {
  return { ...counts };
}

export function totalCalls(): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

const REPORT_INTERVAL_MS = 1_000;

/**
 * Writes this process's counts to `<dir>/calls-<pid>.json` every second and at exit, so a
 * benchmark can add up the calls of processes it does not run itself. Only active when
 * MAILROOM_CALL_COUNT_DIR is set (benchmarks); the product never needs it.
 */
export async function reportCallsTo(dir: string | undefined): Promise<void> {
  if (!dir) return;
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const file = join(dir, `calls-${process.pid}.json`);
  const write = () => writeFileSync(file, JSON.stringify(callCounts()));

  setInterval(write, REPORT_INTERVAL_MS).unref();
  process.on('exit', write);
}
