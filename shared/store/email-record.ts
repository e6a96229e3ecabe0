/**
 * The email status item and its timeline. The status item stays small (addresses, state,
 * outcome per recipient); the body, attachments and the attempt log are separate items,
 * because one DynamoDB item stops at 400 KB.
 */
export const EMAIL_STATUSES = [
  'queued', 'sending', 'deferred', 'sent', 'partially_sent', 'bounced', 'failed',
  'uncertain', 'suppressed', 'canceled',
] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export const RECIPIENT_STATUSES = [
  'queued', 'deferred', 'sent', 'bounced', 'failed', 'uncertain', 'suppressed', 'complained',
] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

export const TERMINAL_EMAIL_STATUSES: ReadonlySet<EmailStatus> = new Set([
  'sent', 'partially_sent', 'bounced', 'failed', 'uncertain', 'suppressed', 'canceled',
]);

export interface SmtpDetail {
  relay?: string;
  replyCode?: number;
  enhancedStatus?: string;
  reply?: string;
  queueId?: string;
}

export interface RecipientOutcome extends SmtpDetail {
  address: string;
  field: 'to' | 'cc' | 'bcc';
  status: RecipientStatus;
  reason?: string;
  updatedAt: string;
}

export interface EmailRecord {
  accountId: string;
  id: string;
  messageId: string;
  status: EmailStatus;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  tags: Record<string, string>;
  recipients: RecipientOutcome[];
  createdAt: string;
  updatedAt: string;
  /** Attempts started so far; a job names the attempt it is for, so stale jobs do nothing. */
  attempts: number;
  nextAttemptAt?: string;
  lease?: { owner: string; until: string };
  /** `data-end` once the worker is about to write the final dot of DATA. */
  phase?: 'transaction' | 'data-end';
  reason?: string;
  /** Attempts whose worker died before the final dot; bounded so a poison email ends. */
  crashes?: number;
  contentChunks: number;
  expiresAt: number;
}

export type EventType =
  | 'queued' | 'attempt' | 'sent' | 'deferred' | 'bounced' | 'failed' | 'uncertain'
  | 'suppressed' | 'complained' | 'delayed' | 'canceled';

export interface TimelineEvent {
  id: string;
  type: EventType;
  at: string;
  recipients?: string[];
  detail?: SmtpDetail & {
    durationMs?: number;
    reason?: string;
    attempt?: number;
    /** From a bounce report: hard, soft or undetermined, and the report's own fields. */
    classification?: string;
    status?: string;
    diagnosticCode?: string;
    willRetryUntil?: string;
    reportId?: string;
    /** Relays that failed earlier in the same attempt and handed the email on. */
    failedOver?: Array<{ relay: string; phase: string; replyCode?: number; reply?: string }>;
  };
}

/** What a message says about its recipients, once they have each been decided or not. */
export function summarizeStatus(recipients: RecipientOutcome[]): EmailStatus {
  const statuses = new Set(recipients.map((recipient) => recipient.status));
  const pending = statuses.has('queued') || statuses.has('deferred');

  if (pending) return recipients.some((r) => r.status === 'deferred') ? 'deferred' : 'queued';
  if (statuses.has('uncertain')) return 'uncertain';
  if (statuses.size === 1) {
    const only = [...statuses][0];
    if (only === 'complained') return 'sent';
    return only as EmailStatus;
  }
  if (statuses.has('sent') || statuses.has('complained')) return 'partially_sent';
  if (statuses.has('bounced')) return 'bounced';
  if (statuses.has('failed')) return 'failed';
  return 'suppressed';
}
