/**
 * Milliseconds since the epoch with sub-millisecond resolution. The sink runs in another
 * process, so its receipt times and the load generator's start times are compared on the
 * wall clock; both sides use this function.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
