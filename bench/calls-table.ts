import { totalOf, type CallCounts } from './call-count-files.js';
import { formatNumber } from './format-number.js';
import { markdownTable } from './markdown-table.js';

export const CALLS_PER_EMAIL_TARGET = 3.5;

const WRITE_OPERATIONS = new Set([
  'DynamoDB.PutItem',
  'DynamoDB.UpdateItem',
  'DynamoDB.DeleteItem',
  'DynamoDB.TransactWriteItems',
  'DynamoDB.BatchWriteItem',
]);

export function writeCallsOf(calls: CallCounts): number {
  return Object.entries(calls)
    .filter(([operation]) => WRITE_OPERATIONS.has(operation))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** AWS calls by operation, per email, with the total against its target. */
export function callsTable(calls: CallCounts, emails: number): string {
  const rows = Object.entries(calls)
    .sort((a, b) => b[1] - a[1])
    .map(([operation, count]) => [operation, count, formatNumber(count / emails, 2)]);
  const total = totalOf(calls);
  const writes = writeCallsOf(calls);

  return markdownTable(['AWS operation', 'calls', 'per email'], [
    ...rows,
    ['DynamoDB write calls (Put/Update/Delete/TransactWrite/BatchWrite)', writes,
      formatNumber(writes / emails, 2)],
    [`**all AWS calls** (target ≤ ${CALLS_PER_EMAIL_TARGET})`, total,
      `**${formatNumber(total / emails, 2)}**`],
  ]);
}
