/**
 * The stop sequence of the local stack. Parts register a step as they come up; stopping
 * runs the steps by rank (API and worker first, the database last, since the children write
 * to it until they exit), once, however many callers ask for it. One failing step is logged
 * and does not keep the later ones from running.
 */
import type { Logger } from '../shared/log/logger.js';

export const STOP_RANK = {
  children: 0,
  relay: 1,
  sqs: 2,
  dynamoDb: 3,
  lock: 4,
} as const;

interface Step {
  rank: number;
  name: string;
  run: () => Promise<void>;
}

export class ShutdownSteps {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  get stopping(): boolean {
    return this.running !== undefined;
  }

  add(rank: number, name: string, run: () => Promise<void>): void {
    // Something that finished starting after the stop began is stopped right after it.
    if (this.running) {
      this.running = this.running.then(() => this.runStep({ rank, name, run }));
      return;
    }
    this.steps.push({ rank, name, run });
  }

  run(): Promise<void> {
    this.running ??= this.runAll();
    return this.running;
  }

  private async runAll(): Promise<void> {
    const ordered = [...this.steps].sort((a, b) => a.rank - b.rank);
    this.steps.length = 0;
    for (const step of ordered) await this.runStep(step);
  }

  private async runStep(step: Step): Promise<void> {
    try {
      await step.run();
    } catch (error) {
      this.logger.error('a shutdown step failed', { step: step.name, error });
    }
  }
}
