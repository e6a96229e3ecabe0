import { parseMailbox } from '../email/mailbox.js';
import type { Logger } from '../log/logger.js';
import type { EmailRecord } from '../store/email-record.js';
import { classifyStatus } from '../bounces/status-classification.js';
import { buildMessage } from '../mime/build-message.js';
import type { SendJob } from '../queue/send-job.js';
import type { SendQueue } from '../queue/send-queue.js';
import type { EmailStore } from '../store/email-store.js';
import { suppressionWrite } from '../suppressions/suppression-store.js';
import {
  type AttemptResult, decideOutcome, failAll, type OutcomeSettings,
} from './attempt-outcome.js';
import { AttemptAborted, type RelayRouter } from './relay-router.js';
import { LEASE_MS, PRE_DOT_BUDGET_MS } from './timing.js';

export interface DeliveryDeps {
  store: EmailStore;
  queue: SendQueue;
  router: RelayRouter;
  logger: Logger;
  settings: OutcomeSettings;
  /** Identifies this worker in leases, so only the lease holder can record an outcome. */
  workerId: string;
  /** When set, each email's envelope sender names it, so a bounce finds its email. */
  bounceDomain?: string;
  now?: () => Date;
}

/** `done`: the job can leave the queue. `retry`: leave it for the queue to deliver again. */
export type JobResult = 'done' | 'retry';

/** Failures that will not go away by trying again: the email fails at once. */
export class PermanentJobError extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'PermanentJobError';
  }
}

/**
 * One attempt for one email: claim it, build the message, send it, record what happened.
 * A job for an email that is already sent, claimed or superseded does nothing; a job for
 * an email that does not exist is left to the queue, whose redrive policy parks it in the
 * dead-letter queue.
 */
export async function deliverEmail(job: SendJob, deps: DeliveryDeps): Promise<JobResult> {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger.child({ emailId: job.emailId, attempt: job.attempt + 1 });
  const claimedAt = now();
  const owner = `${deps.workerId}:${claimedAt.getTime()}`;

  const claim = await deps.store.claim(job.accountId, job.emailId, {
    attempt: job.attempt,
    owner,
    leaseUntil: new Date(claimedAt.getTime() + LEASE_MS).toISOString(),
    now: claimedAt.toISOString(),
  });
  if (claim.kind === 'missing') {
    logger.error('job names an email that does not exist');
    return 'retry';
  }
  if (claim.kind === 'stale') {
    logger.info('job is stale; nothing to send', { status: claim.status });
    return 'done';
  }

  const { record } = claim;
  let attempt: AttemptResult;
  try {
    attempt = await attemptDelivery(job, record, owner, claimedAt, deps);
  } catch (error) {
    // Nothing reached the relay's DATA phase: safe to retry, or to fail when retrying
    // cannot help. The lease is handed back either way, so nothing waits for it to expire.
    const permanent = error instanceof PermanentJobError;
    logger.error('attempt could not run', { error, permanent });
    attempt = {
      kind: 'aborted',
      reason: permanent ? error.reason : 'processing_error',
      relay: undefined,
      durationMs: now().getTime() - claimedAt.getTime(),
    };
    if (permanent) return settle(job, record, owner, attempt, deps, logger, true);
  }
  return settle(job, record, owner, attempt, deps, logger, false);
}

async function attemptDelivery(
  job: SendJob,
  record: EmailRecord,
  owner: string,
  claimedAt: Date,
  deps: DeliveryDeps,
): Promise<AttemptResult> {
  const now = deps.now ?? (() => new Date());
  const content = job.content ?? await deps.store.getContent(record).catch((error) => {
    throw new PermanentJobError('content_unreadable', { cause: error });
  });
  const message = await buildMessage(record, content).catch((error) => {
    throw new PermanentJobError('message_build_failed', { cause: error });
  });
  const pending = record.recipients
    .filter((recipient) => recipient.status === 'queued' || recipient.status === 'deferred')
    .map((recipient) => recipient.address);
  const envelope = {
    from: envelopeSender(record, deps.bounceDomain),
    to: pending,
    size: message.length,
  };

  return deps.router.send(envelope, message, {
    beforeFinalDot: async () => {
      if (now().getTime() - claimedAt.getTime() > PRE_DOT_BUDGET_MS) {
        throw new AttemptAborted('attempt_time_exceeded');
      }
      try {
        await deps.store.markDataEnd(record, owner);
      } catch (error) {
        throw new AttemptAborted('lease_lost', { cause: error });
      }
    },
  });
}

async function settle(
  job: SendJob,
  record: EmailRecord,
  owner: string,
  attempt: AttemptResult,
  deps: DeliveryDeps,
  logger: Logger,
  permanent: boolean,
): Promise<JobResult> {
  const now = deps.now ?? (() => new Date());
  const decision = permanent
    ? failAll(record, attempt, now())
    : decideOutcome(record, attempt, deps.settings, now());
  const suppressions = hardBounces(record, decision.outcome.recipients, now().toISOString())
    .map((entry) => suppressionWrite(deps.store.tableName, record.accountId, entry));
  const written = await persistently(() => deps.store.recordOutcome(
    record, owner, decision.outcome, decision.events, now().toISOString(), suppressions,
  ));
  if (!written) {
    logger.error('lease lost before the outcome was recorded', { status: decision.outcome.status });
    return 'done';
  }

  logger.info('attempt finished', {
    status: decision.outcome.status,
    relay: attempt.kind === 'transaction' ? attempt.result.relay : attempt.relay,
    ...(decision.retryInSeconds ? { retryInSeconds: decision.retryInSeconds } : {}),
  });
  if (decision.retryInSeconds !== undefined) {
    await scheduleRetry(job, record.attempts, decision.retryInSeconds, deps, logger);
  }
  return 'done';
}

/**
 * Queues the next attempt when it falls within the queue's delay limit; later ones, and any
 * job the queue loses, are dispatched by the sweeper from the email's `nextAttemptAt`.
 */
async function scheduleRetry(
  job: SendJob,
  attempts: number,
  delaySeconds: number,
  deps: DeliveryDeps,
  logger: DeliveryDeps['logger'],
): Promise<void> {
  try {
    await deps.queue.enqueue({ ...job, attempt: attempts }, delaySeconds);
  } catch (error) {
    logger.warn('could not queue the retry; the sweeper will dispatch it', { error });
  }
}

/**
 * Recipients refused during this attempt for a reason that says the address or its domain
 * does not exist (5.1.1, 5.1.10, ...): they go on the suppression list with the outcome.
 * A refusal without an enhanced status code, or for the relay's own policy, does not.
 */
function hardBounces(record: EmailRecord, after: EmailRecord['recipients'], at: string) {
  return after.flatMap((recipient, index) => {
    const before = record.recipients[index];
    if (recipient.status !== 'bounced' || before?.status === 'bounced') return [];
    const verdict = classifyStatus(recipient.enhancedStatus, 'failed');
    if (!verdict.suppress) return [];
    return [{
      address: recipient.address,
      reason: 'hard_bounce' as const,
      emailId: record.id,
      ...(recipient.reply ? { detail: recipient.reply } : {}),
      createdAt: at,
    }];
  });
}

const OUTCOME_WRITE_TRIES = 5;
const OUTCOME_RETRY_BASE_MS = 200;

/**
 * The outcome of a finished transaction must reach the table: if it does not, the lease
 * expires and the email is settled as `uncertain` although we knew what happened. So a
 * failing write (throttling, a network blip) is tried again a few times before giving up.
 */
async function persistently<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= OUTCOME_WRITE_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, OUTCOME_RETRY_BASE_MS * 2 ** attempt));
    }
  }
}

/**
 * The envelope sender (RFC 5321 MAIL FROM). With a bounce domain it is a return path of
 * our own, `<sender's local part>+<email id>@<bounce domain>`: a bounce sent to it names
 * its email even when the bounce quotes nothing of the original message.
 */
function envelopeSender(record: EmailRecord, bounceDomain: string | undefined): string {
  const parsed = parseMailbox(record.from);
  if (!parsed.ok) throw new PermanentJobError('sender_unparseable');
  if (!bounceDomain) return parsed.mailbox.address;

  const address = parsed.mailbox.address;
  // 64 octets at most for a local part (RFC 5321 section 4.5.3.1.1), the id taking 30.
  const local = address.slice(0, address.lastIndexOf('@')).replace(/[^A-Za-z0-9._-]/g, '')
    .slice(0, 33);
  return `${local || 'bounces'}+${record.id}@${bounceDomain}`;
}
