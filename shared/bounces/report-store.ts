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
  /** Set when a report names more recipients than are kept here. */
  recipientsOmitted?: number;
  problems: string[];
  /** The start of the raw report as text (a report's useful parts are at its start). */
  raw: string;
  rawBytes: number;
  rawTruncated?: boolean;
  expiresAt: number;
}

/**
 * What of a report is kept fits one DynamoDB item (400 KB) whatever arrives: the raw text
 * up to this many bytes, and bounded lists. A report past these limits is still kept.
 */
export const RAW_REPORT_LIMIT_BYTES = 300_000;
const KEPT_RECIPIENTS = 100;
const KEPT_PROBLEMS = 20;
const KEPT_TEXT_CHARS = 500;

/** The start of `raw` as UTF-8 text of at most `limit` bytes, never cut inside a character. */
export function rawText(raw: Buffer, limit = RAW_REPORT_LIMIT_BYTES): string {
  // Invalid bytes decode to U+FFFD (three bytes each), so the text can outgrow its source.
  let text = raw.subarray(0, limit).toString('utf8');
  while (Buffer.byteLength(text, 'utf8') > limit) {
    text = text.slice(0, Math.floor(text.length * 0.9));
  }
  return text;
}

function fitted(report: StoredReport): StoredReport {
  const cut = (text: string) =>
    (text.length > KEPT_TEXT_CHARS ? `${text.slice(0, KEPT_TEXT_CHARS)}…` : text);
  const omitted = report.recipients.length - KEPT_RECIPIENTS;
  return {
    ...report,
    recipients: report.recipients.slice(0, KEPT_RECIPIENTS).map((recipient) => ({
      address: cut(recipient.address), action: cut(recipient.action), outcome: recipient.outcome,
    })),
    ...(omitted > 0 ? { recipientsOmitted: omitted } : {}),
    problems: report.problems.slice(0, KEPT_PROBLEMS).map(cut),
    raw: rawText(Buffer.from(report.raw, 'utf8')),
    rawTruncated: report.rawTruncated
      || Buffer.byteLength(report.raw, 'utf8') > RAW_REPORT_LIMIT_BYTES
      || report.rawBytes > RAW_REPORT_LIMIT_BYTES,
  };
}

export class ReportStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Keeps the report, trimmed to fit one item; returns what was kept. */
  async put(accountId: string, report: StoredReport): Promise<StoredReport> {
    const kept = fitted(report);
    await this.documents.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        pk: `A#${accountId}#R#${report.id}`,
        sk: 'R',
        gsi1pk: `A#${accountId}#R`,
        gsi1sk: report.id,
        ...kept,
      },
    }));
    return kept;
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
