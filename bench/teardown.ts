import { withDeadline } from './with-deadline.js';

const STEP_DEADLINE_MS = 40_000;

interface Step {
  name: string;
  run: () => Promise<void>;
}

/**
 * What the benchmark has started, stopped in reverse order of starting: on success, on an
 * error and on Ctrl-C. Each step has a deadline and a failing step does not keep the
 * others from running. Something added while stopping is stopped too.
 */
export class Teardown {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;
  private finished = false;

  get stopping(): boolean {
    return this.running !== undefined;
  }

  add(name: string, run: () => Promise<void>): void {
    if (this.finished) void runStep({ name, run });
    else this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= this.runAll();
    return this.running;
  }

  private async runAll(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) await runStep(step);
    this.finished = true;
  }
}

async function runStep(step: Step): Promise<void> {
  try {
    await withDeadline(step.run(), STEP_DEADLINE_MS, `stopping ${step.name}`);
  } catch (error) {
    process.stderr.write(`bench: could not stop ${step.name}: ${String(error)}\n`);
  }
}
