import { BenchChild, type ChildOutput } from './bench-child.js';
import type { Receipt, SinkInfo, SinkStats } from './sink-process.js';
import { sleep } from './sleep.js';

const SINK_ENTRY = new URL('./sink-process.ts', import.meta.url);
/** Two RSA keys are generated at start. */
const START_TIMEOUT_MS = 60_000;
const POLL_MS = 25;

/**
 * The benchmark's view of the sink process: where it listens, and every receipt it has
 * reported (email id -> times of the 250s given for it; more than one is a duplicate).
 */
export class SmtpSink {
  readonly receivedAt = new Map<string, number[]>();
  /** Every receipt in the order the sink reported it. */
  readonly arrivals: Receipt[] = [];

  private constructor(private readonly child: BenchChild<SinkInfo>) {}

  static async start(dir: string): Promise<SmtpSink> {
    const child = await BenchChild.start<SinkInfo>('smtp sink', SINK_ENTRY, {
      args: ['--dir', dir],
      readyTimeoutMs: START_TIMEOUT_MS,
    });
    return new SmtpSink(child);
  }

  get info(): SinkInfo {
    return this.child.info;
  }

  get pid(): number {
    return this.child.pid;
  }

  get output(): ChildOutput {
    return this.child.output;
  }

  /** `smtp://user:pass@127.0.0.1:port`, credentials percent-encoded, for SMTP_URL. */
  relayUrl(port = this.info.port, query = ''): string {
    const auth = `${encodeURIComponent(this.info.user)}:${encodeURIComponent(this.info.pass)}`;
    return `smtp://${auth}@127.0.0.1:${port}${query}`;
  }

  /** Fetches the receipts the sink has recorded since the last pull. */
  async pull(): Promise<void> {
    const receipts = await this.child.request<Receipt[]>('drain');
    for (const receipt of receipts) {
      this.arrivals.push(receipt);
      const times = this.receivedAt.get(receipt[0]);
      if (times) times.push(receipt[1]);
      else this.receivedAt.set(receipt[0], [receipt[1]]);
    }
  }

  /** Waits until every id has a receipt, or until `deadline`; returns how many are missing. */
  async waitFor(ids: readonly string[], deadline: number): Promise<number> {
    let missing = ids.length;
    for (;;) {
      await this.pull();
      missing = ids.filter((id) => !this.receivedAt.has(id)).length;
      if (missing === 0 || Date.now() >= deadline) return missing;
      await sleep(POLL_MS);
    }
  }

  stats(): Promise<SinkStats> {
    return this.child.request<SinkStats>('stats');
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
