import { idTime, isId } from '../ids/new-id.js';
import type { EventType, SmtpDetail } from '../store/email-record.js';

/** The event types an application can subscribe to, and what each timeline entry maps to. */
export const WEBHOOK_EVENT_TYPES = [
  'email.queued', 'email.sent', 'email.deferred', 'email.bounced', 'email.failed',
  'email.complained', 'email.suppressed', 'email.uncertain', 'email.delayed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const PUBLIC: Partial<Record<EventType, WebhookEventType>> = {
  queued: 'email.queued',
  sent: 'email.sent',
  deferred: 'email.deferred',
  bounced: 'email.bounced',
  failed: 'email.failed',
  complained: 'email.complained',
  suppressed: 'email.suppressed',
  uncertain: 'email.uncertain',
  delayed: 'email.delayed',
};

/** Timeline entries that are internal bookkeeping (each attempt) map to nothing. */
export function publicEventType(type: EventType): WebhookEventType | undefined {
  return PUBLIC[type];
}

export interface WebhookEvent {
  /** The same on every delivery of this event (the `webhook-id` header). */
  id: string;
  type: WebhookEventType;
  createdAt: string;
  /** Opaque position in the account's feed: `GET /v1/events?after=<cursor>`. */
  cursor: string;
  data: {
    emailId: string;
    recipients: string[];
    tags: Record<string, string>;
    smtp?: SmtpDetail;
    reason?: string;
    bounce?: { classification: string; status?: string; diagnosticCode?: string };
  };
}

/** A stored event item as the feed and the dispatcher read it. */
export interface StoredEvent {
  id: string;
  type: EventType;
  at: string;
  emailId: string;
  accountId: string;
  tags?: Record<string, string>;
  recipients?: string[];
  detail?: SmtpDetail & {
    reason?: string;
    classification?: string;
    status?: string;
    diagnosticCode?: string;
  };
}

export function encodeEventCursor(eventId: string): string {
  return Buffer.from(eventId).toString('base64url');
}

/** How far ahead of our clock an event's time may be: clocks of hosts disagree a little. */
const CURSOR_CLOCK_SKEW_MS = 3_600_000;

/**
 * The event id a cursor stands for, or undefined. A cursor is an event id, or a position the
 * feed made to pass days without events; one from the future was never given out, and
 * paging from it would return nothing for as long as it stays ahead.
 */
export function decodeEventCursor(cursor: string, now = Date.now()): string | undefined {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return isId('ev', id) && idTime(id) <= now + CURSOR_CLOCK_SKEW_MS ? id : undefined;
}

export function toWebhookEvent(event: StoredEvent): WebhookEvent | undefined {
  const type = publicEventType(event.type);
  if (!type) return undefined;

  const { reason, classification, status, diagnosticCode, ...smtp } = event.detail ?? {};
  const smtpFields = Object.fromEntries(Object.entries(smtp)
    .filter(([key]) => ['relay', 'replyCode', 'enhancedStatus', 'reply', 'queueId'].includes(key)));
  return {
    id: event.id,
    type,
    createdAt: event.at,
    cursor: encodeEventCursor(event.id),
    data: {
      emailId: event.emailId,
      recipients: event.recipients ?? [],
      tags: event.tags ?? {},
      ...(Object.keys(smtpFields).length ? { smtp: smtpFields as SmtpDetail } : {}),
      ...(reason ? { reason } : {}),
      ...(classification ? {
        bounce: {
          classification,
          ...(status ? { status } : {}),
          ...(diagnosticCode ? { diagnosticCode } : {}),
        },
      } : {}),
    },
  };
}
