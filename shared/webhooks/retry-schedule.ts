/** Each delay is stretched or shrunk by up to this much, so failures spread out. */
const JITTER = 0.1;

/**
 * Milliseconds until the next attempt after `attempts` attempts have failed, or undefined
 * when the schedule is used up and the delivery has failed for good. `schedule` is in
 * seconds: the first entry follows the first failure.
 */
export function retryDelayMs(
  attempts: number,
  schedule: readonly number[],
  random: () => number = Math.random,
): number | undefined {
  const seconds = schedule[attempts - 1];
  if (seconds === undefined) return undefined;
  return Math.round(seconds * 1000 * (1 - JITTER + random() * 2 * JITTER));
}

/** The longest a delivery can keep retrying, without jitter's stretch. */
export function retryWindowMs(schedule: readonly number[]): number {
  return schedule.reduce((sum, seconds) => sum + seconds * 1000, 0) * (1 + JITTER);
}
