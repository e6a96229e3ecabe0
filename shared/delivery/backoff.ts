export interface RetrySettings {
  retryBaseSeconds: number;
  retryMaxSeconds: number;
}

/**
 * Seconds until the next attempt: exponential from the base, capped, with ±25 % jitter so
 * that emails deferred together do not return together. A relay's own "try again in N
 * seconds" wins when it gives one (still capped).
 */
export function retryDelaySeconds(
  attempts: number,
  settings: RetrySettings,
  hintSeconds?: number,
  random: () => number = Math.random,
): number {
  if (hintSeconds !== undefined) {
    return Math.min(settings.retryMaxSeconds, Math.max(1, hintSeconds));
  }

  const exponent = Math.max(0, attempts - 1);
  const base = Math.min(settings.retryMaxSeconds, settings.retryBaseSeconds * 2 ** exponent);
  const jittered = base * (0.75 + random() * 0.5);
  return Math.max(1, Math.round(Math.min(settings.retryMaxSeconds, jittered)));
}
