/**
 * Preloaded (`node --import`) into the API and worker processes of the local stack. The
 * supervisor holds the other end of their stdin pipe; when that end closes, the supervisor
 * is gone (even if it was killed with SIGKILL) and the process shuts itself down the same
 * way a SIGTERM from the supervisor would, instead of lingering without a parent.
 */
const FORCED_EXIT_AFTER_MS = 35_000;

function onParentGone(): void {
  // The process's own SIGTERM handling gets its chance; the timer is the backstop.
  setTimeout(() => process.exit(1), FORCED_EXIT_AFTER_MS).unref();
  process.kill(process.pid, 'SIGTERM');
}

if (!process.stdin.isTTY) {
  process.stdin.once('end', onParentGone);
  process.stdin.once('error', onParentGone);
  // Reading keeps 'end' coming; unref keeps this watch from holding the process open.
  process.stdin.resume();
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}

export {};
