/**
 * The Lambda entry points, called with the events AWS sends them, against the same
 * emulators and relay as the rest of the suite: the API behind an HTTP API (payload 2.0),
 * the worker on an SQS batch, the sweeper and the webhook function on their schedules.
 */
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Pipeline, startPipeline } from '../support/pipeline.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';

const context = { getRemainingTimeInMillis: () => 20_000 } as unknown as Context;

function httpEvent(method: string, path: string, body: unknown, apiKey: string) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '04/Dec/2026:10:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  } satisfies APIGatewayProxyEventV2 as never;
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:mailroom-send',
    awsRegion: 'eu-west-1',
  };
}

describe('the Lambda handlers', () => {
  let relay: RecordingRelay;
  let pipeline: Pipeline;
  let saved: NodeJS.ProcessEnv;

  beforeAll(async () => {
    relay = await startRecordingRelay();
    pipeline = await startPipeline({ worker: false, smtpUrl: relay.url, caPem: relay.caPem });
    // The handlers read their configuration from the environment when they are loaded.
    saved = { ...process.env };
    Object.assign(process.env, pipeline.env);
  });
  afterAll(async () => {
    process.env = saved;
    await pipeline?.stop();
    await relay?.close();
  });

  it('accepts an email through the HTTP API handler and reports failures per record',
    async () => {
      const api = await import('../../functions/api/handler.js');
      const worker = await import('../../functions/worker/handler.js');
      const response = await api.handler(httpEvent('POST', '/v1/emails', {
        from: 'orders@example.com', to: 'ana@example.org', subject: 'From Lambda', text: 'x',
      }, pipeline.apiKey), context) as { statusCode: number; body: string };
      const { id } = JSON.parse(response.body) as { id: string };
      const job = JSON.stringify({ v: 1, accountId: pipeline.config.accountId, emailId: id,
        attempt: 0 });

      const result = await worker.handler({
        Records: [
          sqsRecord('good', job),
          sqsRecord('garbage', 'this is not a job'),
          sqsRecord('missing', job.replace(id, 'em_00000000000000000000000000')),
        ],
      } as SQSEvent);
      const email = await pipeline.waitFor(id, (e) => e.status === 'sent');

      expect(response.statusCode).toBe(202);
      expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort())
        .toEqual(['garbage', 'missing']);
      expect(email.recipients[0]?.status).toBe('sent');
      expect(relay.log.messages.filter((m) => m.raw.toString().includes(id))).toHaveLength(1);
    });

  it('answers 401 through the HTTP API handler without a key', async () => {
    const api = await import('../../functions/api/handler.js');

    const event = httpEvent('GET', '/v1/emails', undefined, 'wrong-key-0123456789');

    const response = await api.handler(event, context) as { statusCode: number; body: string };

    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).error.code).toBe('unauthorized');
  });

  it('runs the sweeper and the webhook function on their schedules', async () => {
    const sweeper = await import('../../functions/sweeper/handler.js');
    const webhooks = await import('../../functions/webhooks/handler.js');

    const counts = await sweeper.handler();
    const scheduled = await webhooks.handler(undefined, context);
    const woken = await webhooks.handler({ Records: [sqsRecord('wake', '{}')] }, context);

    expect(counts).toEqual(expect.any(Object));
    expect(scheduled).toBeUndefined();
    expect(woken).toEqual({ batchItemFailures: [] });
  });
});
