/**
 * Starts one in-memory DynamoDB Local for the whole test run and hands its endpoint to the
 * test files (`inject('dynamoDbEndpoint')`, or MAILROOM_TEST_DYNAMODB_ENDPOINT for code that
 * reads the environment). Each test makes its own tables, so files can share it.
 * An endpoint already in MAILROOM_TEST_DYNAMODB_ENDPOINT is reused instead.
 */
import type { TestProject } from 'vitest/node';

import { startDynamoDbLocal } from '../local/dynamodb-local.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.MAILROOM_TEST_DYNAMODB_ENDPOINT;
  if (existing) {
    project.provide('dynamoDbEndpoint', existing);
    return async () => {};
  }

  const dynamoDb = await startDynamoDbLocal({ inMemory: true });
  project.provide('dynamoDbEndpoint', dynamoDb.endpoint);
  // Test workers are forked after this point and inherit the variable.
  process.env.MAILROOM_TEST_DYNAMODB_ENDPOINT = dynamoDb.endpoint;

  return async () => {
    delete process.env.MAILROOM_TEST_DYNAMODB_ENDPOINT;
    await dynamoDb.stop();
  };
}
