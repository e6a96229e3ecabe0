import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Every bounce or complaint report received is kept, parsed or not, so nothing that arrives
 * is dropped and an unreadable one can be looked at later.
 *
 * | item   | pk                  | sk | gsi1                     |
 * | ------ | ------------------- | -- | ------------------------ |
 * | report | A#<acct>#R#<id>     | R  | A#<acct>#R / <id>        |
 */
export type ReportStatus = 'applied' | 'unmatched' | 'unparsed' | 'ignored';

export interface StoredReport {
  id: string;
  status: ReportStatus;
  kind: string;
  receivedAt: string;
  emailId?: string;
  recipients: Array<{ address: string; action: string; outcome: string }>;
  problems: string[];
  /** The raw report (first 350 KB; a report's useful parts are at its start). */
  raw: string;
  rawBytes: number;
  expiresAt: number;
}

export const RAW_REPORT_LIMIT_BYTES = 350_000;

export class ReportStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(accountId: string, report: StoredReport): Promise<void> {
    await this.documents.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        pk: `A#${accountId}#R#${report.id}`,
        sk: 'R',
        gsi1pk: `A#${accountId}#R`,
        gsi1sk: report.id,
        ...report,
      },
    }));
  }

  async get(accountId: string, id: string): Promise<StoredReport | undefined> {
    const { Item } = await this.documents.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: `A#${accountId}#R#${id}`, sk: 'R' },
    }));
    return Item ? strip(Item) : undefined;
  }

  async list(accountId: string, limit: number, startKey?: Record<string, string>) {
    const result = await this.documents.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `A#${accountId}#R` },
      ScanIndexForward: false,
      Limit: limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }));
    return {
      reports: (result.Items ?? []).map(strip),
      ...(result.LastEvaluatedKey
        ? { lastKey: result.LastEvaluatedKey as Record<string, string> }
        : {}),
    };
  }
}

function strip(item: Record<string, unknown>): StoredReport {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...report } = item;
  return report as unknown as StoredReport;
}
