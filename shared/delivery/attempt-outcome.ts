import { newId } from '../ids/new-id.js';
import { classifyReply, retryAfterHint } from '../smtp/classify.js';
import { formatReply, type SmtpReply } from '../smtp/reply.js';
import type { SmtpError } from '../smtp/smtp-error.js';
import type { TransactionResult } from '../smtp/smtp-session.js';
import type {
  EmailRecord, RecipientOutcome, RecipientStatus, SmtpDetail, TimelineEvent,
} from '../store/email-record.js';
import { summarizeStatus } from '../store/email-record.js';
import type { Outcome } from '../store/email-store.js';
import { retryDelaySeconds, type RetrySettings } from './backoff.js';

/** What one attempt came to: a finished transaction, an SMTP failure, or our own abort. */
export type AttemptResult = (
  | { kind: 'transaction'; result: TransactionResult }
  | { kind: 'error'; error: SmtpError; relay: string | undefined; durationMs: number }
  | { kind: 'aborted'; reason: string; relay: string | undefined; durationMs: number }
) & {
  /** Relays tried earlier in this attempt that failed and handed the email on. */
  failedOver?: FailedRelay[];
};

export interface FailedRelay {
  relay: string;
  /** The protocol step that failed: connect, tls, auth, mail, rcpt or data. */
  phase: string;
  replyCode?: number;
  reply?: string;
}

export interface OutcomeSettings extends RetrySettings {
  maxAgeSeconds: number;
}

export interface Decision {
  outcome: Outcome;
  events: TimelineEvent[];
  /** Seconds until the next attempt, when some recipients are still to be tried. */
  retryInSeconds?: number;
}

interface Verdict {
  status: RecipientStatus;
  detail: SmtpDetail;
  reason?: string;
}

/**
 * Decides, recipient by recipient, what an attempt means. Classification reads reply codes
 * and the protocol step only. Recipients decided by an earlier attempt keep their state.
 */
export function decideOutcome(
  record: EmailRecord,
  attempt: AttemptResult,
  settings: OutcomeSettings,
  now: Date,
  random: () => number = Math.random,
): Decision {
  const at = now.toISOString();
  const verdicts = new Map<string, Verdict>();
  for (const recipient of record.recipients) {
    if (recipient.status === 'queued' || recipient.status === 'deferred') {
      verdicts.set(recipient.address, judge(recipient.address, attempt));
    }
  }

  const hint = retryHint(attempt);
  let delay = retryDelaySeconds(record.attempts, settings, hint, random);
  const deadline = Date.parse(record.createdAt) + settings.maxAgeSeconds * 1000;
  const expired = now.getTime() + delay * 1000 > deadline;
  if (!expired) delay = Math.min(delay, Math.ceil((deadline - now.getTime()) / 1000));

  const recipients: RecipientOutcome[] = record.recipients.map((recipient) => {
    const verdict = verdicts.get(recipient.address);
    if (!verdict) return recipient;
    const final = verdict.status === 'deferred' && expired
      ? { ...verdict, status: 'failed' as const, reason: 'expired' }
      : verdict;
    return {
      address: recipient.address,
      field: recipient.field,
      status: final.status,
      ...final.detail,
      ...(final.reason ? { reason: final.reason } : {}),
      updatedAt: at,
    };
  });

  const status = summarizeStatus(recipients);
  const pending = status === 'deferred';
  const events = timeline(record, attempt, recipients, verdicts, at, now);
  const reasons = recipients
    .filter((r) => verdicts.has(r.address) && r.reason)
    .map((r) => r.reason);

  return {
    outcome: {
      status,
      recipients,
      ...(reasons[0] ? { reason: reasons[0] } : {}),
      ...(pending ? { nextAttemptAt: new Date(now.getTime() + delay * 1000).toISOString() } : {}),
    },
    events,
    ...(pending ? { retryInSeconds: delay } : {}),
  };
}

/** Every recipient still pending fails for the attempt's reason, with no retry. */
export function failAll(record: EmailRecord, attempt: AttemptResult, now: Date): Decision {
  const at = now.toISOString();
  const reason = attempt.kind === 'aborted' ? attempt.reason : 'failed';
  const verdicts = new Map<string, Verdict>();
  const recipients = record.recipients.map((recipient) => {
    if (recipient.status !== 'queued' && recipient.status !== 'deferred') return recipient;
    verdicts.set(recipient.address, { status: 'failed', detail: {}, reason });
    return { ...recipient, status: 'failed' as const, reason, updatedAt: at };
  });

  return {
    outcome: { status: summarizeStatus(recipients), recipients, reason },
    events: timeline(record, attempt, recipients, verdicts, at, now),
  };
}

function judge(address: string, attempt: AttemptResult): Verdict {
  if (attempt.kind === 'aborted') {
    return { status: 'deferred', detail: relayOnly(attempt.relay), reason: attempt.reason };
  }
  if (attempt.kind === 'error') return judgeError(attempt.error, attempt.relay);

  const { result } = attempt;
  const rcpt = result.recipients.find((recipient) => recipient.address === address);
  if (!rcpt) {
    return { status: 'deferred', detail: relayOnly(result.relay), reason: 'not_attempted' };
  }

  if (!rcpt.accepted) {
    const detail = replyDetail(result.relay, rcpt.reply);
    // Refused by our own client (say, a UTF-8 address for a relay without SMTPUTF8): the
    // address may be fine, so it fails without counting as a bounce.
    if (rcpt.local) return { status: 'failed', detail, reason: 'relay_cannot_send_address' };
    const verdict = classifyReply(rcpt.reply, 'rcpt');
    return verdict === 'permanent'
      ? { status: 'bounced', detail, reason: 'recipient_rejected' }
      : { status: 'deferred', detail, reason: 'recipient_deferred' };
  }

  const reply = result.dataReply;
  if (!reply) {
    return { status: 'deferred', detail: relayOnly(result.relay), reason: 'no_data_reply' };
  }
  const detail = {
    ...replyDetail(result.relay, reply),
    ...(result.queueId ? { queueId: result.queueId } : {}),
  };
  const verdict = classifyReply(reply, result.finalDotWritten ? 'end-of-data' : 'data');
  if (verdict === 'success') return { status: 'sent', detail };
  if (verdict === 'permanent') return { status: 'bounced', detail, reason: 'message_rejected' };
  return { status: 'deferred', detail, reason: 'message_deferred' };
}

function judgeError(error: SmtpError, relay: string | undefined): Verdict {
  const detail = error.reply
    ? replyDetail(relay ?? error.relay, error.reply)
    : { ...relayOnly(relay ?? error.relay), reply: error.message };

  // The final dot went out and no answer came back: the relay may have the message.
  // Retrying could deliver it twice, so the email waits for a person or a bounce report.
  if (error.finalDotWritten) return { status: 'uncertain', detail, reason: 'no_reply_after_data' };

  if (error.phase === 'mail' && error.reply && classifyReply(error.reply, 'mail') === 'permanent') {
    return { status: 'failed', detail, reason: 'sender_rejected' };
  }
  return { status: 'deferred', detail, reason: errorReason(error) };
}

function errorReason(error: SmtpError): string {
  if (error.reply?.code === 421) return 'relay_unavailable';
  if (error.phase === 'starttls' || error.phase === 'tls' || error.kind === 'tls') {
    return 'relay_tls_failed';
  }
  if (error.phase === 'auth') return 'relay_auth_failed';
  if (error.kind === 'timeout') return 'relay_timeout';
  if (error.kind === 'connection') return 'relay_connection_failed';
  if (error.kind === 'config') return 'relay_refused_message';
  return 'relay_error';
}

function retryHint(attempt: AttemptResult): number | undefined {
  if (attempt.kind === 'error') return attempt.error.reply && retryAfterHint(attempt.error.reply);
  if (attempt.kind !== 'transaction') return undefined;

  const replies = [
    ...attempt.result.recipients.map((recipient) => recipient.reply),
    ...(attempt.result.dataReply ? [attempt.result.dataReply] : []),
  ];
  for (const reply of replies) {
    const hint = Math.floor(reply.code / 100) === 4 ? retryAfterHint(reply) : undefined;
    if (hint !== undefined) return hint;
  }
  return undefined;
}

function timeline(
  record: EmailRecord,
  attempt: AttemptResult,
  recipients: RecipientOutcome[],
  verdicts: Map<string, Verdict>,
  at: string,
  now: Date,
): TimelineEvent[] {
  const attemptNumber = record.attempts;
  const durationMs = attempt.kind === 'transaction'
    ? attempt.result.durationMs
    : attempt.durationMs;
  const events: TimelineEvent[] = [];
  const event = (type: TimelineEvent['type'], list: RecipientOutcome[], detail: object) => {
    events.push({
      id: newId('ev', now.getTime()),
      type,
      at,
      recipients: list.map((recipient) => recipient.address),
      detail: { ...detail, attempt: attemptNumber },
    });
  };

  const decided = recipients.filter((recipient) => verdicts.has(recipient.address));
  const first = decided[0];
  event('attempt', decided, {
    ...(first ? smtpFields(first) : {}),
    durationMs,
    ...(attempt.failedOver?.length ? { failedOver: attempt.failedOver } : {}),
  });

  // One event per distinct outcome and reply, so each carries the exact SMTP detail.
  const groups = new Map<string, RecipientOutcome[]>();
  for (const recipient of decided) {
    const key = `${recipient.status}|${recipient.replyCode ?? ''}|${recipient.reply ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), recipient]);
  }
  for (const group of groups.values()) {
    const sample = group[0] as RecipientOutcome;
    const type = sample.status === 'queued' || sample.status === 'complained'
      ? 'deferred'
      : sample.status;
    event(type, group, {
      ...smtpFields(sample),
      ...(sample.reason ? { reason: sample.reason } : {}),
    });
  }
  return events;
}

function smtpFields(recipient: RecipientOutcome): SmtpDetail {
  return {
    ...(recipient.relay ? { relay: recipient.relay } : {}),
    ...(recipient.replyCode ? { replyCode: recipient.replyCode } : {}),
    ...(recipient.enhancedStatus ? { enhancedStatus: recipient.enhancedStatus } : {}),
    ...(recipient.reply ? { reply: recipient.reply } : {}),
    ...(recipient.queueId ? { queueId: recipient.queueId } : {}),
  };
}

function replyDetail(relay: string | undefined, reply: SmtpReply): SmtpDetail {
  return {
    ...relayOnly(relay),
    replyCode: reply.code,
    ...(reply.enhancedStatus ? { enhancedStatus: reply.enhancedStatus } : {}),
    reply: formatReply(reply),
  };
}

function relayOnly(relay: string | undefined): SmtpDetail {
  return relay ? { relay } : {};
}
