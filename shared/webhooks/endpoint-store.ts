import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import { type DeliveryLogEntry, logItem, toLogEntry } from './delivery-log.js';
import { type EndpointSecret, rotatedSecrets, type WebhookEndpoint } from './webhook-endpoint.js';
import {
  COUNTER_SK, ENDPOINT_SK, endpointCounterPk, endpointListPk, endpointPk, LOG_PREFIX,
} from './webhook-keys.js';

export interface EndpointPage {
  endpoints: WebhookEndpoint[];
  lastKey?: Record<string, string>;
}

const HIDDEN = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk']);
const LIST_ALL_PAGE = 100;
/** Retries of a creation whose counter update collided with another one. */
const COUNTER_TRIES = 5;

/**
 * Webhook endpoints in the table. State changes are conditional writes: a rotation that
 * raced another one, or a disable that raced a success, changes nothing.
 */
export class EndpointStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Creates the endpoint unless the account already has `max` ('limit_reached'). The
   * account's counter item is written in the same transaction, so creations that race each
   * other are counted one after the other. A counter that does not exist yet starts from
   * the index's count. 'busy' when other creations kept winning the counter.
   */
  async createWithin(
    endpoint: WebhookEndpoint,
    max: number,
  ): Promise<'created' | 'limit_reached' | 'busy'> {
    const counterKey = { pk: endpointCounterPk(endpoint.accountId), sk: COUNTER_SK };

    for (let tries = 0; ; tries++) {
      const { Item } = await this.documents.send(new GetCommand({
        TableName: this.tableName, Key: counterKey, ConsistentRead: true,
      }));
      const base = Item ? 0 : await this.count(endpoint.accountId);
      if (!Item && base >= max) return 'limit_reached';

      try {
        await this.documents.send(new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: this.item(endpoint),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: counterKey,
                UpdateExpression: 'SET #n = if_not_exists(#n, :base) + :one',
                ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
                ExpressionAttributeNames: { '#n': 'endpoints' },
                ExpressionAttributeValues: { ':base': base, ':one': 1, ':max': max },
              },
            },
          ],
        }));
        return 'created';
      } catch (error) {
        const reasons = cancellationCodes(error);
        if (reasons?.[1] === 'ConditionalCheckFailed') return 'limit_reached';
        if (!reasons?.includes('TransactionConflict')) throw error;
        if (tries >= COUNTER_TRIES) return 'busy';
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** tries));
      }
    }
  }

  async get(accountId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const { Item } = await this.documents.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: endpointPk(accountId, id), sk: ENDPOINT_SK },
      ConsistentRead: true,
    }));
    return Item ? toEndpoint(Item) : undefined;
  }

  /** Newest first, one page. */
  async list(
    accountId: string,
    page: { limit: number; startKey?: Record<string, string> },
  ): Promise<EndpointPage> {
    const result = await this.documents.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': endpointListPk(accountId) },
      ScanIndexForward: false,
      Limit: page.limit,
      ...(page.startKey ? { ExclusiveStartKey: page.startKey } : {}),
    }));
    const items = result.Items ?? [];
    const last = items.at(-1);
    return {
      endpoints: items.map(toEndpoint),
      ...(result.LastEvaluatedKey && last ? { lastKey: listKey(last) } : {}),
    };
  }

  /** Every endpoint of the account, enabled or not. */
  async listAll(accountId: string): Promise<WebhookEndpoint[]> {
    const endpoints: WebhookEndpoint[] = [];
    let startKey: Record<string, string> | undefined;
    do {
      const page = await this.list(accountId, {
        limit: LIST_ALL_PAGE,
        ...(startKey ? { startKey } : {}),
      });
      endpoints.push(...page.endpoints);
      startKey = page.lastKey;
    } while (startKey);
    return endpoints;
  }

  async count(accountId: string): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.documents.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': endpointListPk(accountId) },
        Select: 'COUNT',
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      total += result.Count ?? 0;
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return total;
  }

  /** False when there was no such endpoint. Its deliveries and log expire on their own. */
  async delete(accountId: string, id: string): Promise<boolean> {
    const key = { pk: endpointPk(accountId, id), sk: ENDPOINT_SK };
    try {
      await this.documents.send(new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: this.tableName, Key: key, ConditionExpression: 'attribute_exists(pk)',
            },
          },
          {
            Update: {
              TableName: this.tableName,
              Key: { pk: endpointCounterPk(accountId), sk: COUNTER_SK },
              UpdateExpression: 'SET #n = #n - :one',
              ConditionExpression: '#n > :zero',
              ExpressionAttributeNames: { '#n': 'endpoints' },
              ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
            },
          },
        ],
      }));
      return true;
    } catch (error) {
      const reasons = cancellationCodes(error);
      if (reasons?.[0] === 'ConditionalCheckFailed') return false;
      // No counter yet (endpoints made before it existed): the next creation starts one.
      if (reasons?.[1] === 'ConditionalCheckFailed') return this.deleteUncounted(key);
      throw error;
    }
  }

  private async deleteUncounted(key: Record<string, string>): Promise<boolean> {
    try {
      await this.documents.send(new DeleteCommand({
        TableName: this.tableName, Key: key, ConditionExpression: 'attribute_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }


  /**
   * Puts `secret` first and gives the others a day to expire. Undefined when the endpoint
   * does not exist; false when another change came in between (the caller may retry).
   */
  async rotateSecret(
    accountId: string,
    id: string,
    secret: string,
    now: Date,
  ): Promise<boolean | undefined> {
    const endpoint = await this.get(accountId, id);
    if (!endpoint) return undefined;

    const secrets: EndpointSecret[] = rotatedSecrets(endpoint.secrets, secret, now);
    try {
      await this.documents.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: endpointPk(accountId, id), sk: ENDPOINT_SK },
        UpdateExpression: 'SET secrets = :secrets, updatedAt = :now',
        ConditionExpression: 'updatedAt = :seen',
        ExpressionAttributeValues: {
          ':secrets': secrets,
          ':now': now.toISOString(),
          ':seen': endpoint.updatedAt,
        },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Re-enables a disabled endpoint and starts a fresh failure count. Idempotent: an enabled
   * endpoint fails the condition and is returned as it is; a missing one gives undefined.
   */
  async enable(accountId: string, id: string, now: Date): Promise<WebhookEndpoint | undefined> {
    const at = now.toISOString();
    await this.transact([
      {
        Update: {
          TableName: this.tableName,
          Key: { pk: endpointPk(accountId, id), sk: ENDPOINT_SK },
          UpdateExpression: 'SET #status = :enabled, updatedAt = :now '
            + 'REMOVE disabledAt, disabledReason, failingSince',
          ConditionExpression: '#status = :disabled',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':enabled': 'enabled', ':disabled': 'disabled', ':now': at },
        },
      },
      { Put: { TableName: this.tableName, Item: logItem(accountId, id, { at, kind: 'enabled' }) } },
    ]);
    return this.get(accountId, id);
  }

  /**
   * Disables an endpoint whose failures began at or before `failingBefore`, and logs it.
   * The condition re-checks the stored failure run, so a success recorded meanwhile by
   * another process keeps the endpoint enabled.
   */
  async disable(
    endpoint: WebhookEndpoint,
    reason: string,
    failingBefore: string,
    now: Date,
  ): Promise<boolean> {
    const at = now.toISOString();
    return this.transact([
      {
        Update: {
          TableName: this.tableName,
          Key: { pk: endpointPk(endpoint.accountId, endpoint.id), sk: ENDPOINT_SK },
          UpdateExpression: 'SET #status = :disabled, disabledAt = :now, '
            + 'disabledReason = :reason, updatedAt = :now',
          ConditionExpression: '#status = :enabled AND failingSince <= :limit',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':disabled': 'disabled',
            ':enabled': 'enabled',
            ':now': at,
            ':reason': reason,
            ':limit': failingBefore,
          },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: logItem(endpoint.accountId, endpoint.id, { at, kind: 'disabled', reason }),
        },
      },
    ]);
  }

  /** Starts a failure run unless one is under way; gives the run's start. */
  async markFailing(endpoint: WebhookEndpoint, now: Date): Promise<string | undefined> {
    try {
      const { Attributes } = await this.documents.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: endpointPk(endpoint.accountId, endpoint.id), sk: ENDPOINT_SK },
        UpdateExpression: 'SET failingSince = if_not_exists(failingSince, :now)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now.toISOString() },
        ReturnValues: 'UPDATED_NEW',
      }));
      return Attributes?.failingSince as string | undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Ends a failure run: a success resets the clock towards disabling. */
  async markHealthy(endpoint: WebhookEndpoint): Promise<void> {
    try {
      await this.documents.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: endpointPk(endpoint.accountId, endpoint.id), sk: ENDPOINT_SK },
        UpdateExpression: 'REMOVE failingSince',
        ConditionExpression: 'attribute_exists(pk)',
      }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** The newest entries of the endpoint's delivery log. */
  async recentLog(
    accountId: string,
    id: string,
    limit: number,
    now = new Date(),
  ): Promise<DeliveryLogEntry[]> {
    const result = await this.documents.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
      // DynamoDB deletes expired items lazily; reads must not show them.
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: {
        ':pk': endpointPk(accountId, id),
        ':log': LOG_PREFIX,
        ':now': Math.floor(now.getTime() / 1000),
      },
      ScanIndexForward: false,
      Limit: limit,
    }));
    return (result.Items ?? []).map(toLogEntry);
  }

  item(endpoint: WebhookEndpoint): Record<string, unknown> {
    return {
      ...endpoint,
      pk: endpointPk(endpoint.accountId, endpoint.id),
      sk: ENDPOINT_SK,
      gsi1pk: endpointListPk(endpoint.accountId),
      gsi1sk: endpoint.id,
    };
  }

  private async transact(
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  ): Promise<boolean> {
    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') return false;
      throw error;
    }
  }
}

export function toEndpoint(item: Record<string, unknown>): WebhookEndpoint {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!HIDDEN.has(key)) out[key] = value;
  return out as unknown as WebhookEndpoint;
}

function listKey(item: Record<string, unknown>): Record<string, string> {
  return {
    pk: String(item.pk),
    sk: String(item.sk),
    gsi1pk: String(item.gsi1pk),
    gsi1sk: String(item.gsi1sk),
  };
}

/** The per-item reasons of a cancelled transaction ('None', 'ConditionalCheckFailed', ...). */
function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> })
    .CancellationReasons;
  return reasons?.map((reason) => reason.Code ?? 'None');
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
