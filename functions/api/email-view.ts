import type { EmailRecord, TimelineEvent } from '../../shared/store/email-record.js';

/** The public shape of an email: its record without internal bookkeeping (leases, keys). */
export function emailSummary(record: EmailRecord) {
  return {
    id: record.id,
    status: record.status,
    messageId: record.messageId,
    from: record.from,
    to: record.to,
    cc: record.cc,
    bcc: record.bcc,
    replyTo: record.replyTo,
    subject: record.subject,
    tags: record.tags,
    attempts: record.attempts,
    ...(record.nextAttemptAt && record.status === 'deferred'
      ? { nextAttemptAt: record.nextAttemptAt }
      : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    recipients: record.recipients,
  };
}

export function emailView(record: EmailRecord, events: TimelineEvent[]) {
  return { ...emailSummary(record), events };
}
