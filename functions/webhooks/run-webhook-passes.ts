import { MAX_WAKEUP_DELAY_SECONDS } from '../../shared/webhooks/webhook-wakeup.js';
import type { WebhookDeps } from './build-webhook-deps.js';

export interface PassTotals {
  events: number;
  deliveries: number;
  attempts: number;
}

/**
 * Dispatches new events and delivers what is due, round after round, until a round finds
 * nothing or `budgetMs` is spent; then waits for the attempts in flight. What one run
 * leaves (a retry due in five seconds, say) is found by a delayed wake-up when it falls
 * within SQS's 15-minute delay limit, and by the next scheduled run otherwise.
 */
export async function runWebhookPasses(
  deps: WebhookDeps,
  options: { budgetMs: number },
): Promise<PassTotals> {
  const deadline = Date.now() + options.budgetMs;
  const totals: PassTotals = { events: 0, deliveries: 0, attempts: 0 };

  const attemptsBefore = deps.deliverer.attemptsStarted;

  while (Date.now() < deadline) {
    const dispatched = await deps.dispatcher.dispatch();
    const started = await deps.deliverer.startDue();
    await deps.deliverer.idle();

    totals.events += dispatched.events;
    totals.deliveries += dispatched.deliveries;
    if (dispatched.events === 0 && started === 0) break;
  }
  totals.attempts = deps.deliverer.attemptsStarted - attemptsBefore;

  const retryAt = deps.deliverer.soonestRetryAt;
  const delaySeconds = retryAt === undefined ? undefined : (retryAt - Date.now()) / 1000;
  if (delaySeconds !== undefined && delaySeconds <= MAX_WAKEUP_DELAY_SECONDS) {
    await deps.wakeup.nudge(delaySeconds);
    deps.deliverer.soonestRetryAt = undefined;
  }
  return totals;
}
