import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { FromChild, ToChild } from './child-messages.js';
import { withDeadline } from './with-deadline.js';

// Resolved from this file, so children find tsx whatever the working directory is.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const KEPT_LINES = 12;
const REQUEST_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 35_000;
const KILL_WAIT_MS = 5_000;

export interface ChildOutput {
  /** The first lines written to stdout or stderr, by the child or by its own children. */
  lines: string[];
  count: number;
  /** Lines by kind: `level: message` for JSON log lines, else the line's start. */
  kinds: Record<string, number>;
}

/**
 * One of the benchmark's own processes (sink, naive pipeline, product stack), run with
 * tsx and spoken to over IPC. Its output is captured rather than mixed into the tables.
 */
export class BenchChild<Info = unknown> {
  readonly output: ChildOutput = { lines: [], count: 0, kinds: {} };
  readonly notices: string[] = [];
  private readonly pending = new Map<number, (message: FromChild) => void>();
  private nextId = 1;
  private readonly exited: Promise<void>;
  private exitStatus: string | undefined;
  private readyInfo: Info | undefined;

  private constructor(readonly name: string, private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.listen();
  }

  static async start<Info>(
    name: string,
    entry: URL,
    options: { args?: string[]; readyTimeoutMs: number },
  ): Promise<BenchChild<Info>> {
    const child = fork(fileURLToPath(entry), options.args ?? [], {
      execArgv: ['--import', TSX_LOADER],
      // Its own process group: a Ctrl-C reaches the benchmark only, which stops children
      // in order. The IPC channel still ends the child if the benchmark is killed.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const endOnExit = () => child.kill('SIGTERM');
    process.once('exit', endOnExit);
    child.once('exit', () => process.off('exit', endOnExit));

    const started = new BenchChild<Info>(name, child);
    const ready = new Promise<Info>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        const said = started.output.lines.slice(-KEPT_LINES).join(' | ');
        reject(new Error(`${name} exited (${signal ?? code}) before it was ready: ${said}`));
      });
      child.on('message', (message: FromChild) => {
        if (message.kind === 'ready') resolve(message.info as Info);
      });
    });

    try {
      started.readyInfo = await withDeadline(ready, options.readyTimeoutMs, `starting ${name}`);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return started;
  }

  /** What the child reported when it was ready. */
  get info(): Info {
    return this.readyInfo as Info;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  request<T>(command: string, payload?: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    if (this.exitStatus !== undefined) {
      return Promise.reject(new Error(`${this.name} has exited (${this.exitStatus})`));
    }
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.set(id, (message) => {
        if (message.kind !== 'reply') return;
        if (message.error !== undefined) reject(new Error(`${this.name}: ${message.error}`));
        else resolve(message.result as T);
      });
    });
    this.child.send({ kind: 'request', id, command, payload } satisfies ToChild);

    return withDeadline(reply, timeoutMs, `${this.name} ${command}`)
      .finally(() => this.pending.delete(id));
  }

  /** Asks the child to stop; SIGTERM, then SIGKILL, if it does not exit in time. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (this.exitStatus !== undefined) return;

    try {
      await this.request('stop', undefined, graceMs);
      await withDeadline(this.exited, KILL_WAIT_MS, `${this.name} exit`);
      return;
    } catch {
      // Not stopped in time or not answering: signals next.
    }
    this.child.kill('SIGTERM');
    try {
      await withDeadline(this.exited, KILL_WAIT_MS, `${this.name} exit`);
    } catch {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private listen(): void {
    this.child.on('message', (message: FromChild) => {
      if (message.kind === 'reply') this.pending.get(message.id)?.(message);
      if (message.kind === 'notice') this.notices.push(message.message);
    });
    this.child.once('exit', (code, signal) => {
      this.exitStatus = String(signal ?? code);
      for (const [id, settle] of this.pending) {
        settle({ kind: 'reply', id, error: `exited (${this.exitStatus})` });
      }
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.keep(line));
    }
  }

  private keep(line: string): void {
    const kind = kindOf(line);
    this.output.count++;
    this.output.kinds[kind] = (this.output.kinds[kind] ?? 0) + 1;
    if (this.output.lines.length < KEPT_LINES) this.output.lines.push(line);
  }
}

function kindOf(line: string): string {
  try {
    const record = JSON.parse(line) as { level?: unknown; msg?: unknown };
    if (typeof record.msg === 'string') return `${String(record.level)}: ${record.msg}`;
  } catch {
    // Not a log line of the product.
  }
  return line.slice(0, 80);
}
