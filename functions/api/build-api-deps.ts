import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { type Config, loadConfig } from '../../shared/config/config.js';
import { EventFeed } from '../../shared/events/event-feed.js';
import { createLogger } from '../../shared/log/logger.js';
import { SendQueue } from '../../shared/queue/send-queue.js';
import { EmailStore } from '../../shared/store/email-store.js';
import type { ApiDeps } from './api-deps.js';

export function buildApiDeps(config: Config = loadConfig()): ApiDeps {
  const endpoint = (value: string | undefined) => (value ? { endpoint: value } : {});
  const dynamo = createDynamoDbClient({ ...endpoint(config.dynamoDbEndpoint), region: config.region });
  const sqs = createSqsClient({ ...endpoint(config.sqsEndpoint), region: config.region });

  const store = new EmailStore(dynamo, config.tableName);
  return {
    config,
    store,
    events: new EventFeed(store.documents, config.tableName, config.feedSettleSeconds * 1000),
    queue: new SendQueue(sqs, config.queueUrl),
    logger: createLogger({ fields: { service: 'api' } }),
  };
}
