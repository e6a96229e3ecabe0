import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

import { normalizeAddress } from '../email/mailbox.js';
import type { TransactItem } from '../store/transaction-batcher.js';

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
  /** When the address was first put on the list; a later update keeps it. */
  createdAt: string;
  /** When the entry last changed; entries never updated have their createdAt here. */
  updatedAt?: string;
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

/**
 * The write that lists an address from a bounce or complaint, for the transaction that
 * records it. An address already listed keeps its first reason, email and createdAt (a
 * manual entry stays manual); only updatedAt moves. A Put could not do that, and a
 * condition would cancel the whole transaction.
 */
export function suppressionWrite(
  tableName: string,
  accountId: string,
  suppression: Suppression,
): TransactItem {
  const { pk, sk, gsi1pk, gsi1sk, address, updatedAt, ...kept } =
    suppressionItem(accountId, suppression);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const set = (name: string, value: unknown, keep: boolean) => {
    if (value === undefined) return;
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(keep ? `#${name} = if_not_exists(#${name}, :${name})` : `#${name} = :${name}`);
  };
  set('gsi1pk', gsi1pk, false);
  set('gsi1sk', gsi1sk, false);
  set('address', address, false);
  set('updatedAt', updatedAt ?? kept.createdAt, false);
  for (const [name, value] of Object.entries(kept)) set(name, value, true);

  return {
    Update: {
      TableName: tableName,
      Key: { pk, sk },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
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

  /**
   * Adds an entry, or updates a listed one in place: reason, detail and updatedAt take the
   * new values; createdAt is kept (the caller's is used only for a new entry), and so is the
   * email that caused the entry unless another is given. Returns true when the address was
   * not listed before.
   */
  async put(accountId: string, suppression: Suppression): Promise<boolean> {
    const { pk, sk, createdAt, detail, ...fields } = suppressionItem(accountId, suppression);
    const names: Record<string, string> = { '#createdAt': 'createdAt', '#detail': 'detail' };
    const values: Record<string, unknown> = { ':createdAt': createdAt };
    const sets = ['#createdAt = if_not_exists(#createdAt, :createdAt)'];
    const changed = { ...fields, updatedAt: suppression.updatedAt ?? createdAt };
    for (const [name, value] of Object.entries(changed)) {
      if (value === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    }
    if (detail) {
      values[':detail'] = detail;
      sets.push('#detail = :detail');
    }

    const { Attributes } = await this.documents.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { pk, sk },
      UpdateExpression: `SET ${sets.join(', ')}${detail ? '' : ' REMOVE #detail'}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
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
  const { address, reason, emailId, detail, createdAt, updatedAt } =
    item as unknown as Suppression;
  return {
    address, reason, createdAt,
    updatedAt: updatedAt ?? createdAt,
    ...(emailId ? { emailId } : {}),
    ...(detail ? { detail } : {}),
  };
}
