/**
 * Keeps the local stack's Node processes (API, worker) running: a child that dies on its
 * own is started again after a short pause. A crash loop is not hidden behind endless
 * restarts: past the restart budget the supervisor gives up and reports it.
 */
import type { ChildProcess } from 'node:child_process';

import { silentLogger, type Logger } from '../shared/log/logger.js';
import { spawnNodeChild } from './node-child.js';
import { removePidFile, writePidFile } from './process-files.js';
import { stopChildProcess } from './stop-child-process.js';

export interface ChildSpec {
  /** Also the pid file name: lower case letters, digits and dashes. */
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
}

export interface ChildSupervisorOptions {
  dataDir: string;
  logger?: Logger;
  /** Called once when the restart budget is spent; nothing is restarted after it. */
  onGiveUp(error: Error): void;
}

export const RESTART_BUDGET = { restarts: 5, windowMs: 60_000 };
const RESTART_DELAY_MS = 500;

export class ChildSupervisor {
  private readonly running = new Map<string, ChildProcess>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private restartTimes: number[] = [];
  private stopping = false;
  private readonly logger: Logger;

  constructor(
    private readonly specs: ChildSpec[],
    private readonly options: ChildSupervisorOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.endAllNow = this.endAllNow.bind(this);
  }

  async start(): Promise<void> {
    process.once('exit', this.endAllNow);
    await Promise.all(this.specs.map((spec) => this.launch(spec)));
  }

  /** SIGTERM to every child, SIGKILL to those still running after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();

    await Promise.all([...this.running.entries()].map(async ([name, child]) => {
      await stopChildProcess(child, {
        graceMs,
        onForced: () => this.logger.warn('child did not stop in time; killed', {
          child: name, graceMs,
        }),
      });
      await removePidFile(this.options.dataDir, name);
    }));
    this.running.clear();
    process.off('exit', this.endAllNow);
  }

  private async launch(spec: ChildSpec): Promise<void> {
    const child = spawnNodeChild(spec.entry, spec.env);
    this.running.set(spec.name, child);
    child.once('exit', (code, signal) => this.onExit(spec, child, code ?? signal));
    // A failed spawn also emits 'exit'; the error event only needs a listener.
    child.once('error', (error) => {
      this.logger.error('could not start child', { child: spec.name, error });
    });

    if (child.pid === undefined) return;
    this.logger.info('child started', { child: spec.name, pid: child.pid });
    await writePidFile(this.options.dataDir, {
      name: spec.name,
      pid: child.pid,
      marker: spec.entry,
    });
  }

  private onExit(spec: ChildSpec, child: ChildProcess, status: number | string | null): void {
    if (this.running.get(spec.name) !== child) return;
    this.running.delete(spec.name);
    if (this.stopping) return;

    void removePidFile(this.options.dataDir, spec.name);
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((time) => now - time < RESTART_BUDGET.windowMs);

    if (this.restartTimes.length >= RESTART_BUDGET.restarts) {
      const error = new Error(
        `${spec.name} exited (${status}) after ${RESTART_BUDGET.restarts} restarts ` +
          `within ${RESTART_BUDGET.windowMs / 1000} s; giving up`,
      );
      this.logger.error('child keeps exiting; stopping the local stack', { child: spec.name });
      this.stopping = true;
      this.options.onGiveUp(error);
      return;
    }

    this.restartTimes.push(now);
    this.logger.error('child exited unexpectedly; restarting', { child: spec.name, status });
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.stopping) return;
      this.launch(spec).catch((error: unknown) => {
        this.logger.error('could not restart child', { child: spec.name, error });
      });
    }, RESTART_DELAY_MS);
    this.restartTimers.add(timer);
  }

  /**
   * Last resort when this process exits without stop(). SIGTERM lets the worker finish
   * what it holds; each child forces its own exit later if that hangs (exit-with-parent.ts).
   */
  private endAllNow(): void {
    for (const child of this.running.values()) child.kill('SIGTERM');
  }
}
