import { reportCallsTo } from '../../shared/aws/call-counter.js';
import { loadConfig } from '../../shared/config/config.js';
import { ConfigError } from '../../shared/config/config-error.js';
import { buildWebhookDeps } from './build-webhook-deps.js';
import { startWebhookLoop } from './webhook-loop.js';

/**
 * The webhook dispatcher as a Node process: what `npm start` runs instead of the Lambda
 * function. It is separate from the worker so that a slow receiver can never hold up
 * sending. Rounds run every second and whenever a message arrives on the webhook queue;
 * on SIGTERM it stops starting attempts and lets those in flight finish.
 */
async function main(): Promise<void> {
  let deps;
  try {
    deps = buildWebhookDeps(loadConfig());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailroom webhooks: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, logger } = deps;
  await reportCallsTo(process.env.MAILROOM_CALL_COUNT_DIR);

  const loop = startWebhookLoop(deps, {
    ...(config.webhookQueueUrl
      ? { wakeQueue: { sqs: deps.sqs, queueUrl: config.webhookQueueUrl } }
      : {}),
  });
  logger.info('webhooks running', { allowPrivate: config.allowPrivateWebhooks });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.info('webhooks stopping; finishing attempts in flight');
    await loop.stop();
    logger.info('webhooks stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

await main();
