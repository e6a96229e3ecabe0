import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../../../shared/log/logger.js';
import {
  WAKEUP_INTERVAL_MS, WebhookWakeup,
} from '../../../shared/webhooks/webhook-wakeup.js';
import { startTestQueues, type TestQueues } from '../../support/aws-test-env.js';

describe('WebhookWakeup, against the embedded SQS', () => {
  let queues: TestQueues;

  beforeAll(async () => {
    queues = await startTestQueues();
  });
  afterAll(async () => {
    await queues?.stop();
  });

  const waiting = async () => {
    const { Attributes } = await queues.client.send(new GetQueueAttributesCommand({
      QueueUrl: queues.webhookQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }));
    return Number(Attributes?.ApproximateNumberOfMessages);
  };

  it('sends one wake-up per interval however many writes ask for one', async () => {
    const wakeup = new WebhookWakeup(queues.client, queues.webhookQueueUrl, silentLogger);
    const start = 1_000_000;

    for (let n = 0; n < 20; n++) await wakeup.nudgeSoon(start + n * 10);
    await wakeup.nudgeSoon(start + WAKEUP_INTERVAL_MS);

    expect(await waiting()).toBe(2);
  });

  it('does nothing when there is no webhook queue', async () => {
    const wakeup = new WebhookWakeup(queues.client, undefined, silentLogger);

    await expect(wakeup.nudgeSoon()).resolves.toBeUndefined();
  });
});
