import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

import { buildWorkerDeps } from './build-worker-deps.js';
import { processRecord } from './process-record.js';

const deps = buildWorkerDeps();

/**
 * SQS event source entry point. Records are processed concurrently; only the ones that
 * failed are reported back, so one bad record never sends its batch-mates round again.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const results = await Promise.all(event.Records.map(async (record) => ({
    id: record.messageId,
    result: await processRecord(record.messageId, record.body, deps),
  })));

  return {
    batchItemFailures: results
      .filter((entry) => entry.result === 'retry')
      .map((entry) => ({ itemIdentifier: entry.id })),
  };
}
