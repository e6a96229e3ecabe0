import { FINAL_DOT_TIMEOUT_MS } from '../smtp/smtp-session.js';

/**
 * How long an attempt may take, derived so that nothing can send an email twice while an
 * attempt is still running:
 * - before the final dot, an attempt gets PRE_DOT_BUDGET_MS; past it the transaction is
 *   abandoned without the dot (the relay discards it) and retried later;
 * - after the dot, the relay may take FINAL_DOT_TIMEOUT_MS (RFC 5321 section 4.5.3.2.6);
 * - the lease on the email outlasts both, with a margin for the outcome write.
 * The worker Lambda's timeout sits between the two sums (see infra/timeouts.ts), and the
 * queue's visibility timeout above the lease, so a job cannot be seen twice while sent.
 */
export const PRE_DOT_BUDGET_MS = 3 * 60_000;
export const OUTCOME_MARGIN_MS = 60_000;
export const LEASE_MS = PRE_DOT_BUDGET_MS + FINAL_DOT_TIMEOUT_MS + OUTCOME_MARGIN_MS;

/** A queued email not claimed within this time is dispatched again by the sweeper. */
export const REDISPATCH_AFTER_MS = 2 * 60_000;
