import {
  deliverEmail,
  type DeliveryDeps,
  type JobResult,
} from '../../shared/delivery/deliver-email.js';
import { parseSendJob } from '../../shared/queue/send-job.js';
import type { WebhookWakeup } from '../../shared/webhooks/webhook-wakeup.js';

/**
 * One queue message, whatever delivered it (Lambda's event source or the local poller).
 * A body that is not a job is reported as a failure: the queue's redrive policy moves it to
 * the dead-letter queue after a few receives instead of it looping forever.
 */
export async function processRecord(
  messageId: string,
  body: string,
  deps: DeliveryDeps & { wakeup?: WebhookWakeup },
): Promise<JobResult> {
  const job = parseSendJob(body);
  if (!job) {
    deps.logger.error('queue message is not a send job', { queueMessageId: messageId });
    return 'retry';
  }

  try {
    const result = await deliverEmail(job, deps);
    // Most jobs record an outcome and its events; the webhook dispatcher hears of them
    // now rather than at its next scheduled run.
    await deps.wakeup?.nudgeSoon();
    return result;
  } catch (error) {
    deps.logger.error('job failed', { emailId: job.emailId, queueMessageId: messageId, error });
    return 'retry';
  }
}
