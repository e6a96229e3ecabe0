/**
 * Bookkeeping that lets a local stack recover from a run that died without cleaning up
 * (a SIGKILL, a closed terminal, a crash):
 * - `<dataDir>/run/stack.lock` says which supervisor owns the data dir, so two stacks never
 *   share one DynamoDB folder and a new start never kills another live stack's processes;
 * - `<dataDir>/run/<name>.pid` records each process the supervisor started. At the next
 *   start, a recorded process that is still alive AND is still ours is stopped.
 *
 * "Still ours" is checked twice: the start time in /proc/<pid>/stat (a reused pid has a
 * different one) and a marker that must appear in /proc/<pid>/cmdline. Without /proc (not
 * Linux) nothing is killed; the leftover is only reported.
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { silentLogger, type Logger } from '../shared/log/logger.js';

export interface PidRecord {
  /** File name stem, such as `dynamodb` or `api`. */
  name: string;
  pid: number;
  /** Text that the command line of this process contains, such as the entry file. */
  marker: string;
}

interface StoredPid extends PidRecord {
  startTime?: string;
}

export class StackLockedError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`another local stack (pid ${pid}) is using the data dir ${dataDir}`);
    this.name = 'StackLockedError';
  }
}

const LEFTOVER_GRACE_MS = 5_000;
const POLL_MS = 100;

export function runDir(dataDir: string): string {
  return join(dataDir, 'run');
}

export async function writePidFile(dataDir: string, record: PidRecord): Promise<void> {
  const stored: StoredPid = { ...record, startTime: processStartTime(record.pid) };

  await mkdir(runDir(dataDir), { recursive: true });
  await writeFile(pidFile(dataDir, record.name), JSON.stringify(stored) + '\n');
}

export async function removePidFile(dataDir: string, name: string): Promise<void> {
  await rm(pidFile(dataDir, name), { force: true });
}

const TABLE_PID_FILE = 'dynamodb.pid';

/**
 * Stops the processes a dead run left behind and removes their pid files.
 * Returns the records of the processes that were stopped.
 */
export async function reapLeftoverProcesses(
  dataDir: string,
  logger: Logger = silentLogger,
): Promise<PidRecord[]> {
  const reaped: PidRecord[] = [];
  const names = await readdir(runDir(dataDir)).catch(() => [] as string[]);
  // Processes that write to the table are stopped first, while it still answers, so the
  // work they finish on SIGTERM is recorded; the table itself goes last.
  const files = names
    .filter((name) => name.endsWith('.pid'))
    .sort((a, b) => Number(a === TABLE_PID_FILE) - Number(b === TABLE_PID_FILE));

  for (const file of files) {
    const path = join(runDir(dataDir), file);
    const record = parsePidFile(await readFile(path, 'utf8').catch(() => ''));

    if (record && isOurs(record)) {
      logger.warn('stopping a process left over by an earlier run', { ...record });
      await terminate(record.pid);
      reaped.push(record);
    } else if (record && isAlive(record.pid) && !canInspect(record.pid)) {
      logger.warn('cannot tell whether a recorded process is ours; left running', { ...record });
    }
    await rm(path, { force: true });
  }
  return reaped;
}

/** Takes the data dir for this process; throws StackLockedError if a live stack holds it. */
export async function acquireStackLock(dataDir: string): Promise<{ release(): Promise<void> }> {
  const path = join(runDir(dataDir), 'stack.lock');
  const content = JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) });

  await mkdir(runDir(dataDir), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(content + '\n');
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }

    const holder = parseLock(await readFile(path, 'utf8').catch(() => ''));
    if (holder && isSameProcess(holder)) throw new StackLockedError(dataDir, holder.pid);
    // The holder is gone: the lock is stale.
    await rm(path, { force: true });
  }
  throw new Error(`could not take the lock in ${runDir(dataDir)}`);
}

function pidFile(dataDir: string, name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`invalid pid file name: ${name}`);
  return join(runDir(dataDir), `${name}.pid`);
}

function parsePidFile(text: string): StoredPid | undefined {
  const value = parseJson(text);
  if (!value || typeof value.pid !== 'number' || typeof value.marker !== 'string') return undefined;
  if (typeof value.name !== 'string') return undefined;
  return value as unknown as StoredPid;
}

function parseLock(text: string): { pid: number; startTime?: string } | undefined {
  const value = parseJson(text);
  if (!value || typeof value.pid !== 'number') return undefined;
  const startTime = typeof value.startTime === 'string' ? value.startTime : undefined;
  return { pid: value.pid, startTime };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isOurs(record: StoredPid): boolean {
  if (!isSameProcess(record)) return false;
  const cmdline = readProc(record.pid, 'cmdline');
  return cmdline !== undefined && cmdline.replaceAll('\0', ' ').includes(record.marker);
}

function isSameProcess(record: { pid: number; startTime?: string }): boolean {
  if (!isAlive(record.pid)) return false;
  const startTime = processStartTime(record.pid);
  // Without /proc there is no start time to compare; a live pid has to count as the holder.
  return startTime === undefined || record.startTime === undefined
    ? !canInspectProc()
    : startTime === record.startTime;
}

async function terminate(pid: number): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + LEFTOVER_GRACE_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(POLL_MS);
  if (isAlive(pid)) signal(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(POLL_MS);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone between the check and the signal.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but someone else's, which also means it is not ours to stop.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers signal 0 but has finished; /proc tells them apart.
  return readProc(pid, 'stat')?.match(/\) ([A-Z])/)?.[1] !== 'Z';
}

function canInspect(pid: number): boolean {
  return readProc(pid, 'cmdline') !== undefined;
}

function canInspectProc(): boolean {
  return readProc(process.pid, 'stat') !== undefined;
}

/** Field 22 of /proc/<pid>/stat: clock ticks since boot when the process started. */
function processStartTime(pid: number): string | undefined {
  const stat = readProc(pid, 'stat');
  // The command name (field 2) may contain spaces and parentheses; fields after it do not.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[19];
}

function readProc(pid: number, file: 'stat' | 'cmdline'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
