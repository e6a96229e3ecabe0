import { percentile } from './percentile.js';
import { postEmails, type PostTarget } from './post-emails.js';
import type { SmtpSink } from './smtp-sink.js';

export interface LatencyProbe {
  sent: number;
  missing: number;
  p50Ms?: number;
  p99Ms?: number;
}

const PER_EMAIL_TIMEOUT_MS = 15_000;

/**
 * Sends emails one at a time, each after the previous one reached the sink, and times
 * POST start → the sink's 250. Nothing queues, so this is the latency of one delivery.
 */
export async function probeLatency(options: {
  target: PostTarget;
  sink: SmtpSink;
  body: string;
  count: number;
  deadline: number;
}): Promise<LatencyProbe> {
  const latencies: number[] = [];
  let missing = 0;

  for (let index = 0; index < options.count && Date.now() < options.deadline; index++) {
    const deadline = Math.min(options.deadline, Date.now() + PER_EMAIL_TIMEOUT_MS);
    const [post] = await postEmails({
      target: options.target, body: options.body, count: 1, concurrency: 1, deadline,
    });
    if (post?.id === undefined) {
      missing++;
      continue;
    }

    await options.sink.waitFor([post.id], deadline);
    const received = options.sink.receivedAt.get(post.id)?.[0];
    if (received === undefined) missing++;
    else latencies.push(received - post.startedAt);
  }

  return {
    sent: latencies.length,
    missing,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
