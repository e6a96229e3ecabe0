import type { DynamoDbLocal } from '../local/dynamodb-local.js';
import type { BenchContext } from './bench-context.js';
import { CountingProxy, isWriteOperation, type WriteTally } from './counting-proxy.js';
import { deliverBatch } from './deliver-batch.js';
import { EMAIL_BODY_JSON } from './email-body.js';
import { formatNumber } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import { startProductStack } from './product-stack.js';

export interface WriteItemsResult {
  emails: number;
  tally: WriteTally;
  writeCallsPerEmail: number;
  itemsPerEmail: number;
}

const WARMUP_EMAILS = 20;
const CONCURRENCY = 8;
const QUIET_MS = 2_500;

/**
 * Phase 4b: the items the product writes per email. The product's call counts give calls,
 * not the items inside a transaction or batch, so a short run of the product goes through
 * a counting proxy in front of DynamoDB Local. This run is not timed; the proxy would slow
 * it down.
 */
export async function writeItemsPhase(
  context: BenchContext,
  dynamoDb: DynamoDbLocal,
): Promise<WriteItemsResult> {
  const { options, sink } = context;
  const proxy = await CountingProxy.start(dynamoDb.endpoint);
  context.teardown.add('DynamoDB counting proxy', () => proxy.stop());
  const stack = await startProductStack({
    name: 'write-items',
    dir: context.dir,
    dynamoDbEndpoint: proxy.endpoint,
    tableName: 'bench-write-items',
    smtpUrl: sink.relayUrl(),
    caFile: sink.info.caFile,
  });
  context.teardown.add('product stack (write items)', () => stack.stop());

  try {
    const batch = {
      target: stack.target,
      sink,
      body: EMAIL_BODY_JSON,
      concurrency: CONCURRENCY,
      postTimeoutMs: options.postTimeoutMs,
      deliveryTimeoutMs: options.deliveryTimeoutMs,
    };
    await deliverBatch({ ...batch, count: WARMUP_EMAILS });
    await stack.callCounts.settled(Date.now() + QUIET_MS * 4);
    proxy.reset();

    const run = await deliverBatch({ ...batch, count: options.writeEmails });
    await stack.callCounts.settled(Date.now() + QUIET_MS * 4);
    const tally = proxy.tally();
    const emails = run.accepted;
    const writeCalls = Object.entries(tally.calls)
      .filter(([operation]) => isWriteOperation(operation))
      .reduce((sum, [, count]) => sum + count, 0);
    const items = Object.values(tally.items).reduce((sum, count) => sum + count, 0);

    const result: WriteItemsResult = {
      emails,
      tally,
      writeCallsPerEmail: writeCalls / emails,
      itemsPerEmail: items / emails,
    };
    context.print(writeItemsTable(result, run.delivered));
    return result;
  } finally {
    void stack.stop().then(() => proxy.stop());
  }
}

function writeItemsTable(result: WriteItemsResult, delivered: number): string {
  const { tally, emails } = result;
  const operations = Object.keys(tally.calls).sort((a, b) => tally.calls[b]! - tally.calls[a]!);
  const rows = operations.map((operation) => {
    const calls = tally.calls[operation]!;
    const items = tally.items[operation];
    return [
      operation,
      calls,
      items ?? '-',
      formatNumber(calls / emails, 2),
      items === undefined ? '-' : formatNumber(items / emails, 2),
    ];
  });

  return markdownTable(
    [`DynamoDB, ${emails} emails (${delivered} delivered)`, 'calls', 'items written',
      'calls / email', 'items / email'],
    [
      ...rows,
      ['**writes**', '', '', formatNumber(result.writeCallsPerEmail, 2),
        `**${formatNumber(result.itemsPerEmail, 2)}**`],
    ],
  );
}
