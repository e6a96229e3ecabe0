import type { ChildProcess } from 'node:child_process';

/**
 * Stops a child process politely, then firmly: `signal` first, SIGKILL once `graceMs` has
 * passed. Resolves when the process has exited, so callers can rely on its port and files
 * being released.
 */
export async function stopChildProcess(
  child: ChildProcess,
  options: { graceMs: number; signal?: NodeJS.Signals; onForced?: () => void },
): Promise<void> {
  if (hasExited(child)) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(options.signal ?? 'SIGTERM');
  if (await settlesWithin(exited, options.graceMs)) return;

  options.onForced?.();
  child.kill('SIGKILL');
  await exited;
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });

  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
