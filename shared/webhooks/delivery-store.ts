import {
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';

import { batchPut } from '../store/batch-put.js';
import { type TransactItem, TransactionBatcher } from '../store/transaction-batcher.js';
import { type DeliveryLogEntry, logItem } from './delivery-log.js';
import type { DeliveryRecord } from './delivery-record.js';
import { DELIVERY_DUE_SHARDS, deliveryDueSk } from './webhook-keys.js';

/** What one attempt came to. */
export interface AttemptOutcome {
  /** `pending` with `nextAt` schedules another attempt. */
  status: 'delivered' | 'pending' | 'failed';
  at: string;
  nextAt?: string;
  statusCode?: number;
  error?: string;
}


/**
 * Deliveries in the table and their due index. Claims and outcomes are conditional writes
 * that share TransactWriteItems calls when they happen together (TransactionBatcher), so
 * a busy deliverer makes a few calls per batch of attempts, not two per attempt.
 */
export class DeliveryStore {
  private readonly batcher: TransactionBatcher;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.batcher = new TransactionBatcher(documents);
  }

  /** Deliveries due by `now`, oldest first, up to `limitPerShard` from each shard. */
  async findDue(now: Date, limitPerShard: number): Promise<DeliveryRecord[]> {
    const found: DeliveryRecord[] = [];
    for (let shard = 0; shard < DELIVERY_DUE_SHARDS; shard++) {
      const result = await this.documents.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :shard AND gsi2sk <= :until',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: {
          ':shard': `whd#${shard}`,
          ':until': `${now.toISOString()}#~`,
          ':now': Math.floor(now.getTime() / 1000),
        },
        Limit: limitPerShard,
      }));
      found.push(...(result.Items ?? []) as unknown as DeliveryRecord[]);
    }
    return found.sort((a, b) => String(a.gsi2sk).localeCompare(String(b.gsi2sk)));
  }

  /**
   * Takes a due delivery for one attempt: counts the attempt and moves its due time to the
   * end of the lease, so a process that dies mid-attempt only delays the next one. False
   * when someone else claimed it first.
   */
  async claim(delivery: DeliveryRecord, leaseUntil: Date): Promise<DeliveryRecord | undefined> {
    const nextAt = leaseUntil.toISOString();
    const gsi2sk = deliveryDueSk(nextAt, delivery.endpointId, delivery.eventId);
    const result = await this.batcher.write(key(delivery), [this.update(delivery, {
      UpdateExpression: 'SET attempts = attempts + :one, nextAt = :next, gsi2sk = :due',
      ConditionExpression: '#status = :pending AND gsi2sk = :seen',
      ExpressionAttributeValues: {
        ':one': 1, ':next': nextAt, ':due': gsi2sk, ':pending': 'pending', ':seen': delivery.gsi2sk,
      },
    })]);
    if (result !== 'ok') return undefined;
    return { ...delivery, attempts: delivery.attempts + 1, nextAt, gsi2sk };
  }

  /** Records an attempt's outcome and its log line, while the claim is still ours. */
  async settle(
    delivery: DeliveryRecord,
    outcome: AttemptOutcome,
    log: DeliveryLogEntry,
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':status': outcome.status,
      ':at': outcome.at,
      ':pending': 'pending',
      ':attempts': delivery.attempts,
    };
    const sets = ['#status = :status', 'lastAttemptAt = :at'];
    const removes: string[] = [];
    if (outcome.statusCode !== undefined) {
      sets.push('lastStatusCode = :code');
      values[':code'] = outcome.statusCode;
    } else {
      removes.push('lastStatusCode');
    }
    if (outcome.error) {
      sets.push('lastError = :error');
      values[':error'] = outcome.error;
    } else {
      removes.push('lastError');
    }
    if (outcome.status === 'pending' && outcome.nextAt) {
      sets.push('nextAt = :next', 'gsi2sk = :due');
      values[':next'] = outcome.nextAt;
      values[':due'] = deliveryDueSk(outcome.nextAt, delivery.endpointId, delivery.eventId);
    } else {
      removes.push('nextAt', 'gsi2pk', 'gsi2sk');
    }

    const result = await this.batcher.write(key(delivery), [
      this.update(delivery, {
        UpdateExpression: `SET ${sets.join(', ')}`
          + (removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''),
        ConditionExpression: '#status = :pending AND attempts = :attempts',
        ExpressionAttributeValues: values,
      }),
      {
        Put: {
          TableName: this.tableName,
          Item: logItem(delivery.accountId, delivery.endpointId, log),
        },
      },
    ]);
    return result === 'ok';
  }

  /** Drops a due delivery whose endpoint is gone or disabled; it leaves the due index. */
  async cancel(delivery: DeliveryRecord, reason: string, at: Date): Promise<boolean> {
    const result = await this.batcher.write(key(delivery), [this.update(delivery, {
      UpdateExpression: 'SET #status = :canceled, reason = :reason, lastAttemptAt = :at '
        + 'REMOVE nextAt, gsi2pk, gsi2sk',
      ConditionExpression: '#status = :pending AND gsi2sk = :seen',
      ExpressionAttributeValues: {
        ':canceled': 'canceled',
        ':reason': reason,
        ':at': at.toISOString(),
        ':pending': 'pending',
        ':seen': delivery.gsi2sk,
      },
    })]);
    return result === 'ok';
  }

  /** Writes new deliveries, 25 to a call; used by replays, which have no index to clear. */
  async putAll(items: Array<Record<string, unknown>>): Promise<void> {
    await batchPut(this.documents, this.tableName, items);
  }

  private update(
    delivery: DeliveryRecord,
    expression: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: delivery.pk, sk: delivery.sk },
        ExpressionAttributeNames: { '#status': 'status' },
        ...expression,
      },
    };
  }
}

const key = (delivery: DeliveryRecord) => `${delivery.pk}|${delivery.sk}`;
