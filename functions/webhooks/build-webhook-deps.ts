import type { SQSClient } from '@aws-sdk/client-sqs';

import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { type Config, loadConfig } from '../../shared/config/config.js';
import { EventFeed } from '../../shared/events/event-feed.js';
import { createLogger, type Logger } from '../../shared/log/logger.js';
import { EmailStore } from '../../shared/store/email-store.js';
import type { ConnectFunction } from '../../shared/webhooks/deliver-webhook.js';
import { DeliveryStore } from '../../shared/webhooks/delivery-store.js';
import { EndpointCache } from '../../shared/webhooks/endpoint-cache.js';
import { EndpointStore } from '../../shared/webhooks/endpoint-store.js';
import { retryWindowMs } from '../../shared/webhooks/retry-schedule.js';
import { WebhookDeliverer } from '../../shared/webhooks/webhook-deliverer.js';
import { WebhookDispatcher } from '../../shared/webhooks/webhook-dispatcher.js';
import { type HostResolver, lookupHost } from '../../shared/webhooks/webhook-url-policy.js';
import { WebhookWakeup } from '../../shared/webhooks/webhook-wakeup.js';

/** What the webhook function and the local webhook process run on. */
export interface WebhookDeps {
  config: Config;
  logger: Logger;
  sqs: SQSClient;
  dispatcher: WebhookDispatcher;
  deliverer: WebhookDeliverer;
  wakeup: WebhookWakeup;
}

export interface WebhookDepsOptions {
  /** The production resolver unless a test answers for it. */
  resolve?: HostResolver;
  connect?: ConnectFunction;
  timeoutMs?: number;
  endpointCacheMs?: number;
  concurrency?: number;
}

export function buildWebhookDeps(
  config: Config = loadConfig(),
  options: WebhookDepsOptions = {},
): WebhookDeps {
  const endpoint = (value: string | undefined) => (value ? { endpoint: value } : {});
  const dynamo = createDynamoDbClient({
    ...endpoint(config.dynamoDbEndpoint),
    region: config.region,
  });
  const sqs = createSqsClient({ ...endpoint(config.sqsEndpoint), region: config.region });
  const logger = createLogger({ fields: { service: 'webhooks' } });

  const { documents } = new EmailStore(dynamo, config.tableName);
  const endpointStore = new EndpointStore(documents, config.tableName);
  const cache = new EndpointCache(endpointStore, options.endpointCacheMs);
  const window = retryWindowMs(config.webhookRetrySchedule);
  const deliveries = new DeliveryStore(documents, config.tableName);

  return {
    config,
    logger,
    sqs,
    dispatcher: new WebhookDispatcher({
      feed: new EventFeed(documents, config.tableName, config.feedSettleSeconds * 1000),
      endpoints: cache,
      logger,
      retentionDays: config.retentionDays,
      retryWindowMs: window,
    }),
    deliverer: new WebhookDeliverer({
      deliveries,
      endpoints: cache,
      endpointStore,
      logger,
      allowPrivate: config.allowPrivateWebhooks,
      resolve: options.resolve ?? lookupHost,
      retrySchedule: config.webhookRetrySchedule,
      disableAfterMs: config.webhookDisableAfterHours * 3600_000,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.connect ? { connect: options.connect } : {}),
    }),
    wakeup: new WebhookWakeup(sqs, config.webhookQueueUrl, logger),
  };
}
