import { newId } from '../ids/new-id.js';
import type { Logger } from '../log/logger.js';
import type { SendQueue } from '../queue/send-queue.js';
import type { EmailRecord, RecipientOutcome, TimelineEvent } from '../store/email-record.js';
import { summarizeStatus } from '../store/email-record.js';
import type { EmailStore } from '../store/email-store.js';
import { DUE_SHARDS } from '../store/keys.js';
import { REDISPATCH_AFTER_MS } from './timing.js';

export interface SweepDeps {
  store: EmailStore;
  queue: SendQueue;
  logger: Logger;
}

export interface SweepOptions {
  now: Date;
  /** Emails older than this are failed (`expired`) instead of tried again. */
  maxAgeSeconds: number;
  /** Also look at emails due up to this many ms ahead (start-up after a crash). */
  horizonMs?: number;
  /** True when the worker that holds a lease is known to be gone (local restarts). */
  isOwnerGone?: (owner: string) => boolean;
  limitPerShard?: number;
}

export interface SweepCounts {
  dispatched: number;
  recovered: number;
  uncertain: number;
  failed: number;
}

const DEFAULT_LIMIT_PER_SHARD = 200;
/** Emails settled at once; a restart may find hundreds waiting. */
const SETTLE_CONCURRENCY = 16;
/** A worker dying this many times on one email before the final dot fails the email. */
const MAX_CRASHES = 3;

/**
 * The table is the source of truth and the queue only a dispatcher, so this pass makes
 * sure nothing waits forever: it dispatches queued and deferred emails whose time has come
 * (their job may have been lost with the queue or never written), and it settles emails
 * whose worker died holding the lease. A lease that died before the final dot is retried;
 * one that died after it is `uncertain`, because the relay may have the message.
 */
export async function sweep(deps: SweepDeps, options: SweepOptions): Promise<SweepCounts> {
  const counts: SweepCounts = { dispatched: 0, recovered: 0, uncertain: 0, failed: 0 };
  const now = options.now;
  const until = new Date(now.getTime() + (options.horizonMs ?? 0)).toISOString();

  for (let shard = 0; shard < DUE_SHARDS; shard++) {
    const due = await deps.store.findDue(`due#${shard}`, until, options.limitPerShard
      ?? DEFAULT_LIMIT_PER_SHARD);
    let next = 0;
    const settleNext = async () => {
      while (next < due.length) {
        const { record, due: dueKey } = due[next++] as (typeof due)[number];
        try {
          await settle(record, dueKey, deps, options, counts);
        } catch (error) {
          deps.logger.error('sweep could not settle an email', { emailId: record.id, error });
        }
      }
    };
    await Promise.all(Array.from({ length: SETTLE_CONCURRENCY }, settleNext));
  }

  if (counts.dispatched + counts.recovered + counts.uncertain + counts.failed > 0) {
    deps.logger.info('sweep finished', { ...counts });
  }
  return counts;
}

async function settle(
  record: EmailRecord,
  dueKey: string,
  deps: SweepDeps,
  options: SweepOptions,
  counts: SweepCounts,
): Promise<void> {
  const now = options.now;

  if (record.status === 'queued' || record.status === 'deferred') {
    const notYet = record.nextAttemptAt && Date.parse(record.nextAttemptAt) > now.getTime();
    if (notYet && record.status === 'deferred') return;
    const next = new Date(now.getTime() + REDISPATCH_AFTER_MS).toISOString();
    if (!(await deps.store.postpone(record, dueKey, next))) return;
    await deps.queue.enqueue(jobFor(record));
    counts.dispatched++;
    return;
  }

  if (record.status !== 'sending' || !record.lease) return;
  const expired = Date.parse(record.lease.until) <= now.getTime();
  if (!expired && !options.isOwnerGone?.(record.lease.owner)) return;

  if (record.phase === 'data-end') {
    await settlePending(record, { status: 'uncertain', reason: 'worker_lost_after_data' }, deps,
      now);
    counts.uncertain++;
    return;
  }

  const crashes = (record.crashes ?? 0) + 1;
  const tooOld = Date.parse(record.createdAt) + options.maxAgeSeconds * 1000 <= now.getTime();
  if (crashes >= MAX_CRASHES || tooOld) {
    const reason = tooOld ? 'expired' : 'worker_crashed_repeatedly';
    await settlePending(record, { status: 'failed', reason, crashes }, deps, now);
    counts.failed++;
    return;
  }

  const at = now.toISOString();
  const event: TimelineEvent = {
    id: newId('ev', now.getTime()),
    type: 'deferred',
    at,
    recipients: pendingAddresses(record),
    detail: { reason: 'worker_lost', attempt: record.attempts },
  };
  const written = await deps.store.recordOutcome(record, record.lease.owner, {
    status: 'deferred',
    recipients: record.recipients,
    reason: 'worker_lost',
    nextAttemptAt: at,
    crashes,
  }, [event], at);
  if (!written) return;

  await deps.queue.enqueue(jobFor(record));
  counts.recovered++;
}

/**
 * Ends every recipient still waiting with `status` and `reason`, in one outcome with its
 * event; recipients already decided keep their state.
 */
async function settlePending(
  record: EmailRecord,
  settled: { status: 'failed' | 'uncertain'; reason: string; crashes?: number },
  deps: SweepDeps,
  now: Date,
): Promise<void> {
  const { status, reason, crashes } = settled;
  const at = now.toISOString();
  const recipients: RecipientOutcome[] = record.recipients.map((recipient) => (
    recipient.status === 'queued' || recipient.status === 'deferred'
      ? { ...recipient, status, reason, updatedAt: at }
      : recipient
  ));
  const event: TimelineEvent = {
    id: newId('ev', now.getTime()),
    type: status,
    at,
    recipients: pendingAddresses(record),
    detail: { reason, attempt: record.attempts },
  };
  await deps.store.recordOutcome(record, record.lease?.owner, {
    status: summarizeStatus(recipients),
    recipients,
    reason,
    ...(crashes === undefined ? {} : { crashes }),
  }, [event], at);
}

function pendingAddresses(record: EmailRecord): string[] {
  return record.recipients
    .filter((recipient) => recipient.status === 'queued' || recipient.status === 'deferred')
    .map((recipient) => recipient.address);
}

function jobFor(record: EmailRecord) {
  return {
    v: 1 as const,
    accountId: record.accountId,
    emailId: record.id,
    attempt: record.attempts,
  };
}
