import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { loadConfig } from '../../shared/config/config.js';
import { sweep, type SweepCounts } from '../../shared/delivery/sweep.js';
import { createLogger } from '../../shared/log/logger.js';
import { SendQueue } from '../../shared/queue/send-queue.js';
import { EmailStore } from '../../shared/store/email-store.js';

const config = loadConfig();
const logger = createLogger({ fields: { service: 'sweeper' } });
// The emulators' addresses in local mode and in tests; in AWS both are unset.
const endpoint = (value: string | undefined) => (value ? { endpoint: value } : {});
const deps = {
  store: new EmailStore(
    createDynamoDbClient({ ...endpoint(config.dynamoDbEndpoint), region: config.region }),
    config.tableName,
  ),
  queue: new SendQueue(
    createSqsClient({ ...endpoint(config.sqsEndpoint), region: config.region }),
    config.queueUrl,
  ),
  logger,
};

/**
 * Runs on a schedule. In AWS a lease is only taken back once it has expired: there is no
 * way to know from here that a Lambda holding it is gone.
 */
export async function handler(): Promise<SweepCounts> {
  return sweep(deps, { now: new Date(), maxAgeSeconds: config.maxAgeSeconds });
}
