import { readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of 10 ms (USER_HZ = 100). */
const MS_PER_TICK = 10;

/**
 * CPU time (user + system, all threads) a process has used, in ms, read from
 * /proc/<pid>/stat; undefined when the process is gone or there is no /proc.
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}
