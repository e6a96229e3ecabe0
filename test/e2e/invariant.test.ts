import type { ChildProcess } from 'node:child_process';

import { afterAll, describe, expect, it } from 'vitest';

import { entryPath, spawnNodeChild } from '../../local/node-child.js';
import { TERMINAL_EMAIL_STATUSES, type EmailRecord } from '../../shared/store/email-record.js';
import {
  chaosCa, type ChaosRelay, type ChaosRates, seededRandom, startChaosRelay,
} from '../support/chaos-relay.js';
import { type Pipeline, startPipeline } from '../support/pipeline.js';

/**
 * The delivery guarantee, tested as a whole: hundreds of emails go through two relays that
 * fail at random while the worker process is killed with SIGKILL and restarted, again and
 * again. Afterwards nothing is lost, every recipient marked sent reached a relay exactly
 * once, and every copy a relay got twice belongs to an email marked `uncertain`.
 */
const EMAILS = Number(process.env.MAILROOM_INVARIANT_EMAILS ?? 300);
const POST_CONCURRENCY = 8;
/** Longer than a worker takes to start, so each life gets some work done before it dies. */
const KILL_EVERY_MS = [4_000, 7_000] as const;
const CHAOS_AFTER_POSTING_MS = 20_000;
const SETTLE_DEADLINE_MS = 120_000;
const RATES: ChaosRates = {
  greeting421: 0.1, rcpt451: 0.08, rcpt550: 0.02, data451: 0.08, silentAfterData: 0.02,
};

describe('delivery under random relay faults and worker kills', () => {
  const seed = Number(process.env.MAILROOM_CHAOS_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  let relays: ChaosRelay[] = [];
  let pipeline: Pipeline | undefined;
  let worker: ChildProcess | undefined;

  const startWorker = () => {
    worker = spawnNodeChild(entryPath('../functions/worker/local.ts'), {
      ...process.env,
      ...pipeline?.env,
      MAILROOM_LOG_LEVEL: process.env.MAILROOM_INVARIANT_LOG_LEVEL ?? 'error',
    });
  };
  const killWorker = async () => {
    const child = worker;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  };

  afterAll(async () => {
    await killWorker();
    await pipeline?.stop();
    await Promise.all(relays.map((relay) => relay.close()));
  });

  it('loses nothing and sends no unexplained duplicate', { timeout: 300_000 }, async () => {
    relays = [
      await startChaosRelay('relay-a', RATES, random),
      await startChaosRelay('relay-b', RATES, random),
    ];
    pipeline = await startPipeline({
      smtpRelays: relays.map((relay) => relay.url).join(' '),
      caPem: chaosCa(),
      worker: false,
      env: {
        MAILROOM_FINAL_DOT_TIMEOUT_SECONDS: '1',
        MAILROOM_RETRY_BASE_SECONDS: '1',
        MAILROOM_RETRY_MAX_SECONDS: '2',
      },
    });
    startWorker();

    let kills = 0;
    let chaos = true;
    const killer = (async () => {
      while (chaos) {
        const wait = KILL_EVERY_MS[0] + random() * (KILL_EVERY_MS[1] - KILL_EVERY_MS[0]);
        await new Promise((resolve) => setTimeout(resolve, wait));
        if (!chaos) break;
        await killWorker();
        kills++;
        startWorker();
      }
    })();

    const ids = await postAll(pipeline, EMAILS);
    await new Promise((resolve) => setTimeout(resolve, CHAOS_AFTER_POSTING_MS));
    chaos = false;
    await killer;
    const copiesDuringChaos = relays.reduce((sum, relay) => sum + relay.received.length, 0);
    for (const relay of relays) {
      relay.setRates({ greeting421: 0, rcpt451: 0, data451: 0, silentAfterData: 0 });
    }
    const records = await settle(pipeline, ids);

    const report = audit(records, relays);
    console.log(`invariant run (seed ${seed}): ${
      JSON.stringify({ kills, copiesDuringChaos, ...report.counts })}`);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(copiesDuringChaos).toBeGreaterThan(EMAILS / 4);
    expect(report.lost).toEqual([]);
    expect(report.sentNotExactlyOnce).toEqual([]);
    expect(report.unexplainedDuplicates).toEqual([]);
  });
});

async function postAll(pipeline: Pipeline, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const poster = async () => {
    while (next < count) {
      const n = next++;
      const to = n % 3 === 0
        ? [`r${n}a@example.org`, `r${n}b@example.org`]
        : [`r${n}a@example.org`];
      const response = await pipeline.send({
        from: 'Chaos Test <chaos@example.com>', to, subject: `Invariant ${n}`, text: `Email ${n}`,
      });
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { id: string }).id);
    }
  };
  await Promise.all(Array.from({ length: POST_CONCURRENCY }, poster));
  return ids;
}

/** Waits until every email is terminal, or scheduled for a later attempt at the deadline. */
async function settle(pipeline: Pipeline, ids: string[]): Promise<EmailRecord[]> {
  const deadline = Date.now() + SETTLE_DEADLINE_MS;
  for (;;) {
    const records = await Promise.all(ids.map(async (id) =>
      (await pipeline.store.getRecord('acct_default', id)) as EmailRecord));
    const open = records.filter((record) => !TERMINAL_EMAIL_STATUSES.has(record.status));
    if (open.length === 0 || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function audit(records: EmailRecord[], relays: ChaosRelay[]) {
  const copies = relays.flatMap((relay) => relay.received)
    .filter((copy) => copy.answer === '250' || copy.answer === 'none');
  const held = (emailId: string, address: string) => copies
    .filter((copy) => copy.emailId === emailId && copy.recipients.includes(address)).length;

  const lost: string[] = [];
  const sentNotExactlyOnce: string[] = [];
  const unexplainedDuplicates: string[] = [];
  const counts: Record<string, number> = { emails: records.length, relayCopies: copies.length };
  for (const copy of relays.flatMap((relay) => relay.received)) {
    counts[`answer${copy.answer}`] = (counts[`answer${copy.answer}`] ?? 0) + 1;
  }

  for (const record of records) {
    counts[record.status] = (counts[record.status] ?? 0) + 1;
    const scheduled = record.status === 'deferred' && record.nextAttemptAt !== undefined;
    if (!TERMINAL_EMAIL_STATUSES.has(record.status) && !scheduled) lost.push(record.id);

    for (const recipient of record.recipients) {
      const times = held(record.id, recipient.address);
      if (recipient.status === 'sent' && times !== 1) {
        sentNotExactlyOnce.push(`${record.id} ${recipient.address} x${times}`);
      }
      if (times > 1) {
        counts.duplicates = (counts.duplicates ?? 0) + 1;
        if (recipient.status !== 'uncertain') {
          unexplainedDuplicates.push(`${record.id} ${recipient.address} ${recipient.status}`);
        }
      }
    }
  }
  return { lost, sentNotExactlyOnce, unexplainedDuplicates, counts };
}
