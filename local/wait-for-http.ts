/** Waits until an HTTP server answers at all: any status code counts as up. */
const PROBE_TIMEOUT_MS = 1_000;
const PROBE_INTERVAL_MS = 100;

export async function waitForHttp(
  url: string,
  options: { timeoutMs: number; shouldGiveUp?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;

  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await response.body?.cancel();
      return;
    } catch {
      if (options.shouldGiveUp?.()) throw new Error(`gave up waiting for ${url}`);
      if (Date.now() > deadline) {
        throw new Error(`${url} did not answer within ${options.timeoutMs / 1000} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  }
}
