import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

import { REDISPATCH_AFTER_MS } from '../delivery/timing.js';
import { dispatchShard, feedDay, feedPk } from '../events/event-keys.js';
import { publicEventType } from '../events/webhook-event.js';
import { batchPut } from './batch-put.js';
import { type TransactItem, TransactionBatcher } from './transaction-batcher.js';
import { joinContent, splitContent, type EmailContent } from './email-content.js';
import type { EmailRecord, EmailStatus, TimelineEvent } from './email-record.js';
import { TERMINAL_EMAIL_STATUSES } from './email-record.js';
import {
  CONTENT_SK, contentChunkSk, dueShard, dueSk, EMAIL_SK, emailListPk, emailPk, eventSk,
} from './keys.js';


export type ClaimResult =
  | { kind: 'claimed'; record: EmailRecord }
  | { kind: 'stale'; status: string }
  | { kind: 'missing' };

export type CreateResult =
  | { created: true }
  | { created: false; existing: Record<string, unknown> }
  | { created: false; suppressed: Array<{ address: string; entry: Record<string, unknown> }> };

export interface EmailPage {
  emails: EmailRecord[];
  lastKey?: Record<string, string>;
}

export interface ListQuery {
  limit: number;
  startKey?: Record<string, string>;
  status?: EmailStatus;
  tag?: { name: string; value: string };
  /** Inclusive lower and exclusive upper bounds on gsi1sk (the time-sortable email id). */
  idRange?: { from?: string; until?: string };
}

export interface Outcome {
  status: EmailStatus;
  recipients: EmailRecord['recipients'];
  reason?: string;
  nextAttemptAt?: string;
  crashes?: number;
}

const EMAIL_FIELDS_HIDDEN = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']);

/**
 * Reads and writes emails. Every state change is a conditional write, so two workers (or a
 * worker and the sweeper) can never both believe they own one email.
 */
export class EmailStore {
  readonly documents: DynamoDBDocumentClient;

  private readonly batcher: TransactionBatcher;

  constructor(client: DynamoDBClient, readonly tableName: string) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.batcher = new TransactionBatcher(this.documents);
  }

  /**
   * Stores a new email: content, status item, its first timeline event and any extra items
   * (an idempotency record) in one transaction when the content fits in one item.
   */
  async create(
    record: EmailRecord,
    content: EmailContent,
    events: TimelineEvent[],
    idempotency?: Record<string, unknown> & { expiresAt: number },
    suppressionChecks: Array<{ address: string; key: { pk: string; sk: string } }> = [],
  ): Promise<CreateResult> {
    const pk = emailPk(record.accountId, record.id);
    const chunks = splitContent(content);
    const contentItems = chunks.map((body, index) => ({
      pk,
      sk: chunks.length === 1 ? CONTENT_SK : contentChunkSk(index),
      body,
      expiresAt: record.expiresAt,
    }));

    // Large content goes first, outside the transaction (4 MB cap); without the status item
    // written after it, the chunks are unreachable and expire with the retention.
    if (chunks.length > 1) await batchPut(this.documents, this.tableName, contentItems);
    const status = this.statusItem({ ...record, contentChunks: chunks.length });

    const items: TransactItem[] = [
      ...(chunks.length === 1
        ? [{ Put: { TableName: this.tableName, Item: contentItems[0] } }]
        : []),
      {
        Put: {
          TableName: this.tableName,
          Item: status,
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...events.map((event) => ({
        Put: { TableName: this.tableName, Item: this.eventItem(record, event) },
      })),
    ];
    // Suppressed recipients are found in the same transaction, at no extra call: each
    // check fails only for an address on the list, and names its entry.
    const firstCheck = items.length;
    for (const check of suppressionChecks) {
      items.push({
        ConditionCheck: {
          TableName: this.tableName,
          Key: check.key,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    const idempotencyIndex = items.length;
    if (idempotency) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: idempotency,
          // An expired key record may still be in the table: DynamoDB deletes lazily.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }

    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
      return { created: true };
    } catch (error) {
      const existing = idempotency && cancelledItem(error, idempotencyIndex);
      if (existing) return { created: false, existing };
      const suppressed = suppressionChecks.flatMap((check, index) => {
        const entry = cancelledItem(error, firstCheck + index);
        return entry ? [{ address: check.address, entry }] : [];
      });
      if (suppressed.length > 0) return { created: false, suppressed };
      throw error;
    }
  }

  async get(accountId: string, emailId: string, now = new Date()) {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk >= :first',
      ExpressionAttributeValues: { ':pk': emailPk(accountId, emailId), ':first': EMAIL_SK },
      ConsistentRead: true,
    });
    const status = items.find((item) => item.sk === EMAIL_SK);
    if (!status || isExpired(status, now)) return undefined;

    const events = items
      .filter((item) => String(item.sk).startsWith('V#'))
      .map((item) => stripEvent(item));
    return { email: stripEmail(status), events };
  }

  async getRecord(accountId: string, emailId: string): Promise<EmailRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: emailPk(accountId, emailId), sk: EMAIL_SK },
      ConsistentRead: true,
    }));
    return Item ? stripEmail(Item) : undefined;
  }

  async getContent(record: EmailRecord): Promise<EmailContent> {
    const pk = emailPk(record.accountId, record.id);
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :content)',
      ExpressionAttributeValues: { ':pk': pk, ':content': CONTENT_SK },
      ConsistentRead: true,
    });
    const chunks = items
      .filter((item) => item.sk === CONTENT_SK || String(item.sk).startsWith('C#'))
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)))
      .map((item) => String(item.body));
    if (chunks.length !== record.contentChunks) {
      throw new Error(
        `content of ${record.id} has ${chunks.length} of ${record.contentChunks} parts`,
      );
    }
    return joinContent(chunks);
  }

  async list(accountId: string, query: ListQuery, now = new Date()): Promise<EmailPage> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': emailListPk(accountId) };
    let keyCondition = 'gsi1pk = :pk';
    const { from, until } = query.idRange ?? {};
    if (from && until) {
      keyCondition += ' AND gsi1sk BETWEEN :from AND :until';
      Object.assign(values, { ':from': from, ':until': until });
    } else if (from) {
      keyCondition += ' AND gsi1sk >= :from';
      values[':from'] = from;
    } else if (until) {
      keyCondition += ' AND gsi1sk <= :until';
      values[':until'] = until;
    }

    const filters = ['(attribute_not_exists(expiresAt) OR expiresAt > :now)'];
    values[':now'] = Math.floor(now.getTime() / 1000);
    if (query.status) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    if (query.tag) {
      filters.push('#tags.#tag = :tagValue');
      Object.assign(names, { '#tags': 'tags', '#tag': query.tag.name });
      values[':tagValue'] = query.tag.value;
    }

    // Filters apply after DynamoDB's Limit, so a filtered page is filled over a few reads,
    // bounded so that a rare filter cannot turn one request into a table scan.
    const items: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined = query.startKey;
    for (let round = 0; round < LIST_READS_PER_PAGE && items.length < query.limit; round++) {
      const result = await this.documents.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: keyCondition,
        FilterExpression: filters.join(' AND '),
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: round === 0 ? query.limit : Math.max(query.limit * 4, 50),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
      if (!startKey) break;
    }

    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    const more = items.length > query.limit || startKey !== undefined;
    return {
      emails: page.map(stripEmail),
      ...(more && last ? { lastKey: listKey(last) } : {}),
    };
  }

  /**
   * Claims an email for one attempt: only the job for the current attempt, only while the
   * email waits for it, and only once. A stale job (the email is already sent, claimed by
   * another worker, or waiting for a later attempt) claims nothing.
   */
  async claim(
    accountId: string,
    emailId: string,
    claim: { attempt: number; owner: string; leaseUntil: string; now: string },
  ): Promise<ClaimResult> {
    try {
      const { Attributes } = await this.documents.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: emailPk(accountId, emailId), sk: EMAIL_SK },
        UpdateExpression: 'SET #status = :sending, lease = :lease, phase = :transaction, '
          + 'attempts = attempts + :one, updatedAt = :now, gsi2sk = :due',
        ConditionExpression: 'attempts = :attempt AND #status IN (:queued, :deferred) '
          + 'AND (attribute_not_exists(nextAttemptAt) OR nextAttemptAt <= :notBefore)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':sending': 'sending',
          ':queued': 'queued',
          ':deferred': 'deferred',
          ':lease': { owner: claim.owner, until: claim.leaseUntil },
          ':transaction': 'transaction',
          ':one': 1,
          ':attempt': claim.attempt,
          ':now': claim.now,
          ':notBefore': new Date(Date.parse(claim.now) + CLAIM_CLOCK_SKEW_MS).toISOString(),
          ':due': dueSk(claim.leaseUntil, emailId),
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { kind: 'claimed', record: stripEmail(Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Without an item the email does not exist (or expired away): the job is poison.
      return error.Item ? { kind: 'stale', status: String(unmarshall(error.Item).status) }
        : { kind: 'missing' };
    }
  }

  /**
   * Records that the final dot of DATA is about to be written. From here on a lost worker
   * leaves the email `uncertain` instead of retrying it, because the relay may have it.
   */
  async markDataEnd(record: EmailRecord, owner: string): Promise<void> {
    const result = await this.batcher.write(record.id, [{
      Update: {
        TableName: this.tableName,
        Key: { pk: emailPk(record.accountId, record.id), sk: EMAIL_SK },
        UpdateExpression: 'SET phase = :dataEnd',
        ConditionExpression: '#status = :sending AND lease.#owner = :owner',
        ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':dataEnd': 'data-end',
          ':sending': 'sending',
          ':owner': owner,
        },
      },
    }]);
    if (result !== 'ok') throw new Error(`lease on ${record.id} is no longer held by this worker`);
  }

  /**
   * Writes the outcome of an attempt and its timeline events in one transaction, only while
   * `owner` still holds the lease. Returns false when the lease was lost.
   */
  async recordOutcome(
    record: EmailRecord,
    owner: string | undefined,
    outcome: Outcome,
    events: TimelineEvent[],
    now: string,
    extraWrites: TransactItem[] = [],
  ): Promise<boolean> {
    const terminal = TERMINAL_EMAIL_STATUSES.has(outcome.status);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {
      ':status': outcome.status,
      ':recipients': outcome.recipients,
      ':now': now,
    };
    const sets = ['#status = :status', 'recipients = :recipients', 'updatedAt = :now'];
    const removes = ['lease', 'phase'];

    if (outcome.crashes !== undefined) {
      sets.push('crashes = :crashes');
      values[':crashes'] = outcome.crashes;
    }
    if (outcome.reason) {
      sets.push('reason = :reason');
      values[':reason'] = outcome.reason;
    } else {
      removes.push('reason');
    }
    if (terminal || !outcome.nextAttemptAt) {
      removes.push('nextAttemptAt', 'gsi2pk', 'gsi2sk');
    } else {
      sets.push('nextAttemptAt = :next', 'gsi2pk = :shard', 'gsi2sk = :due');
      Object.assign(values, {
        ':next': outcome.nextAttemptAt,
        ':shard': dueShard(record.id),
        ':due': dueSk(outcome.nextAttemptAt, record.id),
      });
    }

    let condition = 'attribute_exists(pk)';
    if (owner) {
      condition = '#status = :sending AND lease.#owner = :owner';
      Object.assign(names, { '#owner': 'owner' });
      Object.assign(values, { ':sending': 'sending', ':owner': owner });
    }

    const result = await this.batcher.write(record.id, [
      {
        Update: {
          TableName: this.tableName,
          Key: { pk: emailPk(record.accountId, record.id), sk: EMAIL_SK },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      ...events.map((event) => ({
        Put: { TableName: this.tableName, Item: this.eventItem(record, event) },
      })),
      ...extraWrites,
    ]);
    return result === 'ok';
  }

  /**
   * Applies a change that comes from outside an attempt (a bounce or complaint report):
   * only if the email is unchanged since it was read and no worker holds it, so a report
   * and an attempt can never overwrite each other's recipients.
   */
  async applyReport(
    record: EmailRecord,
    change: { status: EmailRecord['status']; recipients: EmailRecord['recipients'] },
    events: TimelineEvent[],
    extraWrites: TransactItem[],
    now: string,
  ): Promise<boolean> {
    try {
      await this.documents.send(new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: { pk: emailPk(record.accountId, record.id), sk: EMAIL_SK },
              UpdateExpression: 'SET #status = :status, recipients = :recipients, updatedAt = :now',
              ConditionExpression: 'updatedAt = :seen AND #status <> :sending',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':status': change.status,
                ':recipients': change.recipients,
                ':now': now,
                ':seen': record.updatedAt,
                ':sending': 'sending',
              },
            },
          },
          ...events.map((event) => ({
            Put: { TableName: this.tableName, Item: this.eventItem(record, event) },
          })),
          ...extraWrites,
        ],
      }));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') return false;
      throw error;
    }
  }

  /** Emails whose next look is due by `until`, oldest first, from one shard of gsi2. */
  async findDue(
    shard: string,
    until: string,
    limit: number,
  ): Promise<Array<{ record: EmailRecord; due: string }>> {
    const result = await this.documents.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :shard AND gsi2sk <= :until',
      ExpressionAttributeValues: { ':shard': shard, ':until': `${until}#~` },
      Limit: limit,
    }));
    return (result.Items ?? []).map((item) => ({
      record: stripEmail(item),
      due: String(item.gsi2sk),
    }));
  }

  /**
   * Moves an email's next look to `nextCheck`, only if no one else touched it since it was
   * read (same status, attempts and due time). The sweeper calls this before re-dispatching
   * so that two sweeps never dispatch the same attempt twice.
   */
  async postpone(record: EmailRecord, expectedDue: string, nextCheck: string): Promise<boolean> {
    try {
      await this.documents.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: emailPk(record.accountId, record.id), sk: EMAIL_SK },
        UpdateExpression: 'SET gsi2sk = :next',
        ConditionExpression: 'gsi2sk = :expected AND #status = :status AND attempts = :attempts',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':next': dueSk(nextCheck, record.id),
          ':expected': expectedDue,
          ':status': record.status,
          ':attempts': record.attempts,
        },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  statusItem(record: EmailRecord): Record<string, unknown> {
    const pk = emailPk(record.accountId, record.id);
    // A queued email is looked at again if no worker claimed it within the grace period.
    const checkAt = record.nextAttemptAt ?? (record.status === 'queued'
      ? new Date(Date.parse(record.createdAt) + REDISPATCH_AFTER_MS).toISOString()
      : undefined);
    const due = checkAt && !TERMINAL_EMAIL_STATUSES.has(record.status)
      ? { gsi2pk: dueShard(record.id), gsi2sk: dueSk(checkAt, record.id) }
      : {};
    return {
      ...record,
      tags: tagMap(record.tags),
      pk,
      sk: EMAIL_SK,
      gsi1pk: emailListPk(record.accountId),
      gsi1sk: record.id,
      ...due,
    };
  }

  /**
   * A timeline event, written in the same transaction as the status change it describes.
   * Public events also enter the account's feed and the webhook dispatch index, so a crash
   * after the write can delay their delivery but never lose it.
   */
  eventItem(record: EmailRecord, event: TimelineEvent): Record<string, unknown> {
    const published = publicEventType(event.type) !== undefined;
    return {
      pk: emailPk(record.accountId, record.id),
      sk: eventSk(event.id),
      ...event,
      accountId: record.accountId,
      emailId: record.id,
      tags: tagMap(record.tags),
      ...(published ? {
        gsi1pk: feedPk(record.accountId, feedDay(event.id)),
        gsi1sk: event.id,
        gsi2pk: dispatchShard(event.id),
        gsi2sk: event.id,
      } : {}),
      expiresAt: record.expiresAt,
    };
  }

  private async queryAll(input: ConstructorParameters<typeof QueryCommand>[0]) {
    const items: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.documents.send(new QueryCommand({
        ...input,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

const LIST_READS_PER_PAGE = 5;
/** A retry job may arrive a moment before its time when clocks disagree a little. */
const CLAIM_CLOCK_SKEW_MS = 2_000;

/**
 * Tags as a Map for the marshaller, which tells a plain object from a class instance by its
 * `constructor` property: a tag named "constructor" hides that property, and the object
 * would be refused ("Unsupported type passed"). A Map is always written as a map (`M`).
 */
function tagMap(tags: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(tags));
}

function listKey(item: Record<string, unknown>): Record<string, string> {
  return {
    pk: String(item.pk),
    sk: String(item.sk),
    gsi1pk: String(item.gsi1pk),
    gsi1sk: String(item.gsi1sk),
  };
}

function isExpired(item: Record<string, unknown>, now: Date): boolean {
  return typeof item.expiresAt === 'number' && item.expiresAt <= Math.floor(now.getTime() / 1000);
}

function stripEmail(item: Record<string, unknown>): EmailRecord {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (!EMAIL_FIELDS_HIDDEN.has(key)) out[key] = value;
  }
  return out as unknown as EmailRecord;
}

function stripEvent(item: Record<string, unknown>): TimelineEvent {
  const { id, type, at, recipients, detail } = item;
  return {
    id, type, at,
    ...(recipients ? { recipients } : {}),
    ...(detail ? { detail } : {}),
  } as TimelineEvent;
}

/** The current item behind a failed condition in a cancelled transaction, if returned. */
function cancelledItem(error: unknown, index: number): Record<string, unknown> | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & {
    CancellationReasons?: Array<{ Code?: string; Item?: Record<string, AttributeValue> }>;
  }).CancellationReasons ?? [];
  const reason = reasons[index];
  if (reason?.Code !== 'ConditionalCheckFailed' || !reason.Item) return undefined;
  return unmarshall(reason.Item);
}
