import { processCpuMs } from './process-cpu.js';

/**
 * CPU used by named processes between `start` and `cores()`, as cores: 1.00 is one core
 * busy for the whole time. Processes that exit meanwhile report nothing.
 */
export class CpuWatch {
  private constructor(
    private readonly pids: Record<string, number>,
    private readonly before: Record<string, number | undefined>,
    private readonly startedAt: number,
  ) {}

  static start(pids: Record<string, number>): CpuWatch {
    return new CpuWatch(pids, sample(pids), performance.now());
  }

  cores(): Record<string, number | undefined> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const after = sample(this.pids);
    const out: Record<string, number | undefined> = {};

    for (const name of Object.keys(this.pids)) {
      const start = this.before[name];
      const end = after[name];
      out[name] = start === undefined || end === undefined ? undefined
        : (end - start) / 1000 / seconds;
    }
    return out;
  }
}

function sample(pids: Record<string, number>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]));
}
