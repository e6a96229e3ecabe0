import { parseMailbox } from '../email/mailbox.js';
import type { Logger } from '../log/logger.js';
import { buildMessage } from '../mime/build-message.js';
import type { SendJob } from '../queue/send-job.js';
import type { SendQueue } from '../queue/send-queue.js';
import type { EmailStore } from '../store/email-store.js';
import { decideOutcome, type OutcomeSettings } from './attempt-outcome.js';
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
  now?: () => Date;
}

/** `done`: the job can leave the queue. `retry`: leave it for the queue to deliver again. */
export type JobResult = 'done' | 'retry';

/**
 * One attempt for one email: claim it, build the message, send it, record what happened.
 * A job for an email that is already sent, claimed or superseded does nothing.
 */
export async function deliverEmail(job: SendJob, deps: DeliveryDeps): Promise<JobResult> {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger.child({ emailId: job.emailId, attempt: job.attempt + 1 });
  const claimedAt = now();
  const owner = `${deps.workerId}:${claimedAt.getTime()}`;

  const record = await deps.store.claim(job.accountId, job.emailId, {
    attempt: job.attempt,
    owner,
    leaseUntil: new Date(claimedAt.getTime() + LEASE_MS).toISOString(),
    now: claimedAt.toISOString(),
  });
  if (!record) {
    logger.info('job is stale; nothing to send');
    return 'done';
  }

  const content = job.content ?? await deps.store.getContent(record);
  const message = await buildMessage(record, content);
  const pending = record.recipients
    .filter((recipient) => recipient.status === 'queued' || recipient.status === 'deferred')
    .map((recipient) => recipient.address);
  const envelope = { from: envelopeSender(record.from), to: pending, size: message.length };

  const attempt = await deps.router.send(envelope, message, {
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

  const decision = decideOutcome(record, attempt, deps.settings, now());
  const written = await deps.store.recordOutcome(
    record, owner, decision.outcome, decision.events, now().toISOString(),
  );
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

function envelopeSender(from: string): string {
  const parsed = parseMailbox(from);
  if (!parsed.ok) throw new Error('a stored sender address no longer parses');
  return parsed.mailbox.address;
}
