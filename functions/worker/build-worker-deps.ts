import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { type Config, loadConfig, requireRelays } from '../../shared/config/config.js';
import type { DeliveryDeps } from '../../shared/delivery/deliver-email.js';
import { RelayHealth } from '../../shared/delivery/relay-health.js';
import { RelayRateLimiter } from '../../shared/delivery/relay-rate-limit.js';
import { RelayRouter } from '../../shared/delivery/relay-router.js';
import { createLogger } from '../../shared/log/logger.js';
import type { SmtpTimeouts } from '../../shared/smtp/smtp-session.js';
import { SendQueue } from '../../shared/queue/send-queue.js';
import { EmailStore } from '../../shared/store/email-store.js';
import { WebhookWakeup } from '../../shared/webhooks/webhook-wakeup.js';
import { currentWorkerId } from './lease-owner.js';

export interface WorkerDeps extends DeliveryDeps {
  config: Config;
  sqs: ReturnType<typeof createSqsClient>;
  /** Tells the webhook dispatcher that attempts wrote new events. */
  wakeup: WebhookWakeup;
}

export interface WorkerOptions {
  /** Shorter SMTP timeouts, for tests that wait for one to pass. */
  timeouts?: Partial<SmtpTimeouts>;
}

export function buildWorkerDeps(
  config: Config = loadConfig(),
  options: WorkerOptions = {},
): WorkerDeps {
  const endpoint = (value: string | undefined) => (value ? { endpoint: value } : {});
  const dynamo = createDynamoDbClient({
    ...endpoint(config.dynamoDbEndpoint),
    region: config.region,
  });
  const sqs = createSqsClient({ ...endpoint(config.sqsEndpoint), region: config.region });
  const logger = createLogger({ fields: { service: 'worker' } });

  const store = new EmailStore(dynamo, config.tableName);
  const relays = requireRelays(config);
  return {
    config,
    sqs,
    store,
    queue: new SendQueue(sqs, config.queueUrl),
    wakeup: new WebhookWakeup(sqs, config.webhookQueueUrl, logger),
    router: new RelayRouter(relays, {
      logger,
      health: new RelayHealth(store.documents, config.tableName, relays.map((r) => r.name)),
      rateLimiter: new RelayRateLimiter(store.documents, config.tableName),
      timeouts: { finalDotMs: config.finalDotTimeoutSeconds * 1000, ...options.timeouts },
    }),
    logger,
    settings: {
      maxAgeSeconds: config.maxAgeSeconds,
      retryBaseSeconds: config.retryBaseSeconds,
      retryMaxSeconds: config.retryMaxSeconds,
    },
    workerId: currentWorkerId,
    ...(config.bounceDomain ? { bounceDomain: config.bounceDomain } : {}),
  };
}
