/**
 * Polls `check` until it is true or `ms` have passed. A check that throws counts as "not
 * yet" (a server still starting refuses connections), and the last such error is named if
 * the time runs out.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms: number,
  pollMs = 250,
): Promise<void> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`condition not met within ${ms} ms${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
