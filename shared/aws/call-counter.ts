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
