import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';

import { wallClockMs } from './wall-clock.js';

export interface PostTarget {
  /** Base URL such as http://127.0.0.1:3000; emails go to `/v1/emails`. */
  url: string;
  apiKey?: string;
}

export interface PostResult {
  /** HTTP status; 0 when no response came (connection error, deadline). */
  status: number;
  /** The email id from a 202 body. */
  id?: string;
  /** Wall-clock ms when the request was started. */
  startedAt: number;
  ms: number;
  error?: string;
}

export interface PostOptions {
  target: PostTarget;
  body: string;
  count: number;
  concurrency: number;
  /** Wall-clock ms (Date.now()) after which nothing new starts and what is open is aborted. */
  deadline: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The load generator: `count` POSTs of one JSON body, `concurrency` at a time over
 * keep-alive connections (one per request in flight). Each result keeps its start time on
 * the wall clock, so the delivery it leads to can be timed at the sink.
 */
export async function postEmails(options: PostOptions): Promise<PostResult[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const abort = new AbortController();
  // Every request in flight listens to this one signal.
  setMaxListeners(options.concurrency + 10, abort.signal);
  const timer = setTimeout(() => abort.abort(), Math.max(0, options.deadline - Date.now()));
  const url = new URL('/v1/emails', options.target.url);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(options.body)),
    ...(options.target.apiKey ? { authorization: `Bearer ${options.target.apiKey}` } : {}),
  };
  const results: PostResult[] = [];
  let next = 0;

  const lane = async () => {
    while (next < options.count && !abort.signal.aborted) {
      next++;
      const parts = { agent, headers, body: options.body, signal: abort.signal };
      results.push(await postOne(url, parts));
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, lane));
  } finally {
    clearTimeout(timer);
    agent.destroy();
  }
  return results;
}

interface RequestParts {
  agent: Agent;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

function postOne(url: URL, parts: RequestParts): Promise<PostResult> {
  const startedAt = wallClockMs();
  const started = performance.now();
  const done = (status: number, extra: Partial<PostResult>): PostResult => ({
    status, startedAt, ms: performance.now() - started, ...extra,
  });

  return new Promise((resolve) => {
    const outgoing = request(url, {
      method: 'POST',
      agent: parts.agent,
      headers: parts.headers,
      signal: parts.signal,
      timeout: REQUEST_TIMEOUT_MS,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => resolve(done(0, { error: error.message })));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        if (status !== 202) {
          resolve(done(status, { error: text.slice(0, 200) }));
          return;
        }
        try {
          resolve(done(status, { id: String((JSON.parse(text) as { id: unknown }).id) }));
        } catch {
          resolve(done(status, { error: `unreadable body: ${text.slice(0, 200)}` }));
        }
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')));
    outgoing.on('error', (error) => resolve(done(0, { error: error.message })));
    outgoing.end(parts.body);
  });
}
