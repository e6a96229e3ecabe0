import type { WebhookEventType } from '../events/webhook-event.js';
import { endpointPk, logSk } from './webhook-keys.js';

/**
 * One line of an endpoint's delivery log: an attempt with its outcome, or the endpoint
 * being disabled or enabled. Entries expire after a week; the log is for looking at what
 * happened recently, the deliveries themselves carry the state.
 */
export interface DeliveryLogEntry {
  at: string;
  kind: 'attempt' | 'disabled' | 'enabled';
  eventId?: string;
  eventType?: WebhookEventType;
  attempt?: number;
  ok?: boolean;
  statusCode?: number;
  /** Our description of a failure; never text from the receiver. */
  error?: string;
  durationMs?: number;
  reason?: string;
}

export const LOG_RETENTION_SECONDS = 7 * 86_400;

export function logItem(
  accountId: string,
  endpointId: string,
  entry: DeliveryLogEntry,
): Record<string, unknown> {
  const suffix = entry.kind === 'attempt' ? `${entry.eventId}#${entry.attempt}` : entry.kind;
  return {
    pk: endpointPk(accountId, endpointId),
    sk: logSk(entry.at, suffix),
    ...entry,
    expiresAt: Math.floor(Date.parse(entry.at) / 1000) + LOG_RETENTION_SECONDS,
  };
}

const LOG_FIELDS = [
  'at', 'kind', 'eventId', 'eventType', 'attempt', 'ok', 'statusCode', 'error', 'durationMs',
  'reason',
] as const;

export function toLogEntry(item: Record<string, unknown>): DeliveryLogEntry {
  const entry: Record<string, unknown> = {};
  for (const field of LOG_FIELDS) if (item[field] !== undefined) entry[field] = item[field];
  return entry as unknown as DeliveryLogEntry;
}
