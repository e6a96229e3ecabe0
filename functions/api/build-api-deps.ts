import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { ReportStore } from '../../shared/bounces/report-store.js';
import { type Config, loadConfig } from '../../shared/config/config.js';
import { EventFeed } from '../../shared/events/event-feed.js';
import { createLogger } from '../../shared/log/logger.js';
import { SendQueue } from '../../shared/queue/send-queue.js';
import { EmailStore } from '../../shared/store/email-store.js';
import { SuppressionStore } from '../../shared/suppressions/suppression-store.js';
import { DeliveryStore } from '../../shared/webhooks/delivery-store.js';
import { EndpointStore } from '../../shared/webhooks/endpoint-store.js';
import { lookupHost } from '../../shared/webhooks/webhook-url-policy.js';
import { WebhookWakeup } from '../../shared/webhooks/webhook-wakeup.js';
import type { ApiDeps } from './api-deps.js';

export function buildApiDeps(config: Config = loadConfig()): ApiDeps {
  const endpoint = (value: string | undefined) => (value ? { endpoint: value } : {});
  const dynamo = createDynamoDbClient({
    ...endpoint(config.dynamoDbEndpoint),
    region: config.region,
  });
  const sqs = createSqsClient({ ...endpoint(config.sqsEndpoint), region: config.region });

  const store = new EmailStore(dynamo, config.tableName);
  const logger = createLogger({ fields: { service: 'api' } });
  return {
    config,
    store,
    events: new EventFeed(store.documents, config.tableName, config.feedSettleSeconds * 1000),
    suppressions: new SuppressionStore(store.documents, config.tableName),
    reports: new ReportStore(store.documents, config.tableName),
    queue: new SendQueue(sqs, config.queueUrl),
    logger,
    webhooks: {
      endpoints: new EndpointStore(store.documents, config.tableName),
      deliveries: new DeliveryStore(store.documents, config.tableName),
      wakeup: new WebhookWakeup(sqs, config.webhookQueueUrl, logger),
      resolveHost: lookupHost,
    },
  };
}
