import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** DynamoDB takes at most 25 puts in one BatchWriteItem call. */
const BATCH_WRITE_LIMIT = 25;
/** Rounds of re-sending what DynamoDB left unprocessed before giving up. */
const BATCH_WRITE_ROUNDS = 8;
const FIRST_BACKOFF_MS = 50;

/**
 * Puts every item, 25 to a call. Items DynamoDB leaves unprocessed (throttling) are sent
 * again after a doubling pause; a write that never completes throws rather than dropping
 * items silently.
 */
export async function batchPut(
  documents: DynamoDBDocumentClient,
  tableName: string,
  items: Array<Record<string, unknown>>,
): Promise<void> {
  for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
    let pending = items.slice(start, start + BATCH_WRITE_LIMIT)
      .map((Item) => ({ PutRequest: { Item } }));

    for (let round = 0; pending.length > 0; round++) {
      if (round >= BATCH_WRITE_ROUNDS) throw new Error('batch write kept leaving items unwritten');
      const result = await documents.send(new BatchWriteCommand({
        RequestItems: { [tableName]: pending },
      }));
      pending = (result.UnprocessedItems?.[tableName] ?? []) as typeof pending;
      if (pending.length > 0) {
        await new Promise((resolve) => setTimeout(resolve, FIRST_BACKOFF_MS * 2 ** round));
      }
    }
  }
}
