import { readFileSync } from 'node:fs';

/**
 * Names the product's processes found through their call-count files: the command line
 * says which entry file (API or worker) a process runs.
 */
export function productPids(pids: Iterable<number>): Record<string, number> {
  const named: Record<string, number> = {};
  for (const pid of pids) {
    const role = roleOf(pid);
    if (role === undefined) continue;
    named[role in named ? `${role} (${pid})` : role] = pid;
  }
  return named;
}

function roleOf(pid: number): string | undefined {
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (commandLine.includes('functions/api/')) return 'API';
  if (commandLine.includes('functions/worker/')) return 'worker';
  return `process ${pid}`;
}
