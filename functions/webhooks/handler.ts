import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';

import { buildWebhookDeps } from './build-webhook-deps.js';
import { runWebhookPasses } from './run-webhook-passes.js';

const deps = buildWebhookDeps();

/** Left at the end of the function's time for the attempts in flight (10 s) to finish. */
const FINISH_RESERVE_MS = 15_000;
/** When the context cannot say (a direct test invocation), rounds stop after this. */
const DEFAULT_BUDGET_MS = 30_000;

/**
 * Runs on the webhook queue (a wake-up per message batch) and on a schedule (a sweep that
 * catches events whose wake-up never came). Both do the same thing: dispatch new events,
 * deliver due ones. Wake-ups are never reported as failed: they carry no data, and a
 * failed round is repeated by the next wake-up or the next scheduled run.
 */
export async function handler(
  event: SQSEvent | ScheduledEvent | undefined,
  context?: Context,
): Promise<SQSBatchResponse | undefined> {
  const remaining = context?.getRemainingTimeInMillis?.() ?? DEFAULT_BUDGET_MS + FINISH_RESERVE_MS;
  try {
    const totals = await runWebhookPasses(deps, {
      budgetMs: Math.max(0, remaining - FINISH_RESERVE_MS),
    });
    if (totals.events > 0 || totals.attempts > 0) deps.logger.info('webhook run', { ...totals });
  } catch (error) {
    deps.logger.error('webhook run failed', { error });
  }

  return event && 'Records' in event ? { batchItemFailures: [] } : undefined;
}
