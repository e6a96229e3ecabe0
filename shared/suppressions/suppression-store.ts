import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

import { normalizeAddress } from '../email/mailbox.js';

/**
 * The suppression list: addresses Mailroom will not send to, with why and which email
 * caused it. Keyed by the address with its domain in lower case (RFC 5321 section 2.4:
 * the local part may be case-sensitive, the domain is not).
 *
 * | item        | pk                          | sk | gsi1                       |
 * | ----------- | --------------------------- | -- | -------------------------- |
 * | suppression | A#<acct>#S#<address>        | S  | A#<acct>#S / <address>     |
 */
export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'manual'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export interface Suppression {
  address: string;
  reason: SuppressionReason;
  /** The email whose bounce or complaint put the address here. */
  emailId?: string;
  /** Why, in the words of the report (enhanced status, diagnostic). */
  detail?: string;
  createdAt: string;
}

export const suppressionPk = (accountId: string, address: string) =>
  `A#${accountId}#S#${normalizeAddress(address)}`;
export const SUPPRESSION_SK = 'S';
const listPk = (accountId: string) => `A#${accountId}#S`;

export function suppressionItem(accountId: string, suppression: Suppression) {
  const address = normalizeAddress(suppression.address);
  return {
    pk: suppressionPk(accountId, address),
    sk: SUPPRESSION_SK,
    gsi1pk: listPk(accountId),
    gsi1sk: address,
    ...suppression,
    address,
  };
}

export class SuppressionStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(accountId: string, address: string): Promise<Suppression | undefined> {
    const { Item } = await this.documents.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: suppressionPk(accountId, address), sk: SUPPRESSION_SK },
      ConsistentRead: true,
    }));
    return Item ? strip(Item) : undefined;
  }

  /** Adds or replaces an entry; returns true when the address was not listed before. */
  async put(accountId: string, suppression: Suppression): Promise<boolean> {
    const { Attributes } = await this.documents.send(new PutCommand({
      TableName: this.tableName,
      Item: suppressionItem(accountId, suppression),
      ReturnValues: 'ALL_OLD',
    }));
    return Attributes === undefined;
  }

  async delete(accountId: string, address: string): Promise<boolean> {
    const { Attributes } = await this.documents.send(new DeleteCommand({
      TableName: this.tableName,
      Key: { pk: suppressionPk(accountId, address), sk: SUPPRESSION_SK },
      ReturnValues: 'ALL_OLD',
    }));
    return Attributes !== undefined;
  }

  async list(accountId: string, limit: number, startKey?: Record<string, string>) {
    const result = await this.documents.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': listPk(accountId) },
      Limit: limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }));
    return {
      suppressions: (result.Items ?? []).map(strip),
      ...(result.LastEvaluatedKey
        ? { lastKey: result.LastEvaluatedKey as Record<string, string> }
        : {}),
    };
  }
}

function strip(item: Record<string, unknown>): Suppression {
  const { address, reason, emailId, detail, createdAt } = item as unknown as Suppression;
  return {
    address, reason, createdAt,
    ...(emailId ? { emailId } : {}),
    ...(detail ? { detail } : {}),
  };
}
