import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

import { recordCall } from './call-counter.js';

/** Per request; with 3 attempts a write is over, one way or the other, within ~16 s. */
export const DYNAMODB_REQUEST_TIMEOUT_MS = 5_000;

export interface ClientOptions {
  /** Emulator endpoint in local mode; unset in AWS, where the SDK finds the service. */
  endpoint?: string;
  region?: string;
}

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: {
        commandName?: string;
      }) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

function countCalls(client: MiddlewareClient, service: string): void {
  client.middlewareStack.add(
    (next, context) => (args) => {
      recordCall(service, (context.commandName ?? 'Unknown').replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'mailroomCallCounter' },
  );
}

function localSettings(options: ClientOptions) {
  if (!options.endpoint) return { region: options.region ?? process.env.AWS_REGION };

  // Emulators accept any credentials; fixed ones keep a developer's real profile out of it.
  return {
    endpoint: options.endpoint,
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

export function createDynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  // A bounded request time bounds how late a write can commit, which the event feed's
  // settle window relies on (see shared/events/event-feed.ts).
  const client = new DynamoDBClient({
    ...localSettings(options),
    maxAttempts: 3,
    requestHandler: { requestTimeout: DYNAMODB_REQUEST_TIMEOUT_MS, connectionTimeout: 2_000 },
  });
  countCalls(client as unknown as MiddlewareClient, 'DynamoDB');
  return client;
}

export function createSqsClient(options: ClientOptions = {}): SQSClient {
  // The embedded SQS hands out queue URLs on a host name that does not resolve here;
  // the explicit endpoint keeps the SDK from sending requests to the URL's host.
  const client = new SQSClient({
    ...localSettings(options),
    maxAttempts: 3,
    ...(options.endpoint ? { useQueueUrlAsEndpoint: false } : {}),
  });
  countCalls(client as unknown as MiddlewareClient, 'SQS');
  return client;
}
