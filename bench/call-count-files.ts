import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { sleep } from './sleep.js';

/** Calls by `Service.Operation`, such as `DynamoDB.PutItem` or `SQS.ReceiveMessage`. */
export type CallCounts = Record<string, number>;

const FILE = /^calls-(\d+)\.json$/;
/** The product rewrites each file every second. */
const WRITE_INTERVAL_MS = 1_000;

/**
 * The AWS call counts the product's processes write to MAILROOM_CALL_COUNT_DIR
 * (`calls-<pid>.json`, every second and at exit). Counts are cumulative per process.
 */
export class CallCountFiles {
  constructor(readonly dir: string) {}

  /** Counts per process id. A file caught mid-write is read again. */
  async read(): Promise<Map<number, CallCounts>> {
    const byPid = new Map<number, CallCounts>();
    for (const name of await readdir(this.dir)) {
      const pid = FILE.exec(name)?.[1];
      if (pid) byPid.set(Number(pid), await readCounts(join(this.dir, name)));
    }
    return byPid;
  }

  async total(): Promise<CallCounts> {
    return sumCounts([...(await this.read()).values()]);
  }

  /**
   * Totals once two reports in a row agree, so what was just done is in the files; by
   * `deadline` at the latest (long polls and sweeps keep a few calls going when idle).
   */
  async settled(deadline: number): Promise<CallCounts> {
    let last = await this.total();
    for (;;) {
      await sleep(WRITE_INTERVAL_MS + 200);
      const now = await this.total();
      if (totalOf(now) === totalOf(last) || Date.now() >= deadline) return now;
      last = now;
    }
  }
}

export function sumCounts(list: readonly CallCounts[]): CallCounts {
  const sum: CallCounts = {};
  for (const counts of list) {
    for (const [key, value] of Object.entries(counts)) sum[key] = (sum[key] ?? 0) + value;
  }
  return sum;
}

export function subtractCounts(after: CallCounts, before: CallCounts): CallCounts {
  const out: CallCounts = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

export function totalOf(counts: CallCounts): number {
  return Object.values(counts).reduce((sum, value) => sum + value, 0);
}

async function readCounts(file: string): Promise<CallCounts> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CallCounts;
  } catch {
    await sleep(50);
    return JSON.parse(await readFile(file, 'utf8')) as CallCounts;
  }
}
