import type { WebhookEvent, WebhookEventType } from '../events/webhook-event.js';
import {
  deliveryDueShard, deliveryDueSk, deliverySk, endpointPk,
} from './webhook-keys.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'canceled';

/**
 * One event on its way to one endpoint. `payload` is the request body, serialised once
 * when the delivery is made, so every attempt sends the same bytes and signs them alike.
 */
export interface DeliveryRecord {
  pk: string;
  sk: string;
  accountId: string;
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  payload: string;
  /** Attempts started so far, including one in progress. */
  attempts: number;
  status: DeliveryStatus;
  /** When the next attempt is due while pending (or when a running attempt's lease ends). */
  nextAt?: string;
  /** The due-index sort key, read back to make claims conditional on it. */
  gsi2sk?: string;
  createdAt: string;
  expiresAt: number;
}

export interface NewDelivery {
  accountId: string;
  endpointId: string;
  event: WebhookEvent;
  payload: string;
  now: Date;
  expiresAt: number;
  /** Set for a replay: a second delivery of an event to the same endpoint. */
  replay?: string;
}

/** The item of a new delivery, due at once. */
export function deliveryItem(delivery: NewDelivery): Record<string, unknown> {
  const due = delivery.now.toISOString();
  return {
    pk: endpointPk(delivery.accountId, delivery.endpointId),
    sk: deliverySk(delivery.event.id, delivery.replay),
    accountId: delivery.accountId,
    endpointId: delivery.endpointId,
    eventId: delivery.event.id,
    eventType: delivery.event.type,
    payload: delivery.payload,
    attempts: 0,
    status: 'pending',
    nextAt: due,
    createdAt: due,
    gsi2pk: deliveryDueShard(delivery.endpointId, delivery.event.id),
    gsi2sk: deliveryDueSk(due, delivery.endpointId, delivery.event.id),
    expiresAt: delivery.expiresAt,
  };
}

/**
 * Deliveries are kept for the retention period, and never less than their retry window
 * and a day after it, so a pending delivery cannot expire under its own retries.
 */
export function deliveryExpiry(now: Date, retentionDays: number, retryWindowMs: number): number {
  const keepMs = Math.max(retentionDays * 86_400_000, retryWindowMs + 86_400_000);
  return Math.floor((now.getTime() + keepMs) / 1000);
}
