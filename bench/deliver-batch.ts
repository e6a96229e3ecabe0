import { percentile } from './percentile.js';
import { postEmails, type PostResult, type PostTarget } from './post-emails.js';
import { sleep } from './sleep.js';
import type { SmtpSink } from './smtp-sink.js';

export interface BatchOptions {
  target: PostTarget;
  sink: SmtpSink;
  body: string;
  count: number;
  concurrency: number;
  postTimeoutMs: number;
  /** How long to wait for the sink to receive every accepted email after the last POST. */
  deliveryTimeoutMs: number;
}

/** What happened to one batch of emails, from the POSTs to the sink's 250s. */
export interface BatchFigures {
  posted: number;
  accepted: number;
  /** Answers other than 202, and requests without an answer. */
  refused: number;
  firstError?: string;
  seconds: number;
  /** 202s per second, first POST start to last POST end. */
  acceptRate: number;
  postP50Ms?: number;
  postP99Ms?: number;
  /** Accepted emails the sink received at least once. */
  delivered: number;
  missing: number;
  /** Receipts for this batch's emails beyond the first one. */
  duplicates: number;
  /** Receipts of other emails (such as a warm-up's stragglers) during this batch. */
  strays: number;
  /** Delivered per second, first POST start to last first receipt. */
  e2eRate: number;
  /** POST start to the sink's 250, per email. */
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  latencyMaxMs?: number;
  ids: string[];
}

/** Wait after the last receipt for copies that would show up late. */
const DUPLICATE_GRACE_MS = 500;

/**
 * Posts `count` emails and waits until the sink has received every accepted one (or the
 * deadline passed), then counts duplicates and times the batch.
 */
export async function deliverBatch(options: BatchOptions): Promise<BatchFigures> {
  const { sink } = options;
  await sink.pull();
  const arrivalsBefore = sink.arrivals.length;

  const posts = await postEmails({
    target: options.target,
    body: options.body,
    count: options.count,
    concurrency: options.concurrency,
    deadline: Date.now() + options.postTimeoutMs,
  });
  if (posts.length === 0) throw new Error('no request was sent before the deadline');
  const ids = posts.flatMap((post) => (post.id === undefined ? [] : [post.id]));
  await sink.waitFor(ids, Date.now() + options.deliveryTimeoutMs);
  await sleep(DUPLICATE_GRACE_MS);
  await sink.pull();

  const batch = new Set(ids);
  const strays = sink.arrivals.slice(arrivalsBefore).filter(([id]) => !batch.has(id)).length;
  return figures(posts, ids, sink.receivedAt, strays);
}

function figures(
  posts: PostResult[],
  ids: string[],
  receivedAt: Map<string, number[]>,
  strays: number,
): BatchFigures {
  const firstPost = Math.min(...posts.map((post) => post.startedAt));
  const lastAnswer = Math.max(...posts.map((post) => post.startedAt + post.ms));
  const latencies: number[] = [];
  let lastDelivery = firstPost;
  let duplicates = 0;

  for (const post of posts) {
    const times = post.id === undefined ? undefined : receivedAt.get(post.id);
    if (!times) continue;
    const first = Math.min(...times);
    latencies.push(first - post.startedAt);
    lastDelivery = Math.max(lastDelivery, first);
    duplicates += times.length - 1;
  }

  const postMs = posts.map((post) => post.ms);
  const refused = posts.filter((post) => post.status !== 202);
  return {
    posted: posts.length,
    accepted: ids.length,
    refused: refused.length,
    ...(refused[0] ? { firstError: `${refused[0].status} ${refused[0].error ?? ''}` } : {}),
    seconds: (lastDelivery - firstPost) / 1000,
    acceptRate: ids.length / ((lastAnswer - firstPost) / 1000),
    postP50Ms: percentile(postMs, 50),
    postP99Ms: percentile(postMs, 99),
    delivered: latencies.length,
    missing: ids.length - latencies.length,
    duplicates,
    strays,
    e2eRate: latencies.length / ((lastDelivery - firstPost) / 1000),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    latencyMaxMs: percentile(latencies, 100),
    ids,
  };
}
