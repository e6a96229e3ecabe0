import { domainToASCII } from 'node:url';

import { normalizeAddress, parseMailbox } from '../email/mailbox.js';
import { ApiError } from '../errors/api-error.js';
import { newId } from '../ids/new-id.js';
import type { Logger } from '../log/logger.js';
import type { SendQueue } from '../queue/send-queue.js';
import type { SendEmailRequest } from '../schema/send-email-request.js';
import type { EmailContent } from '../store/email-content.js';
import type { EmailRecord, RecipientOutcome, TimelineEvent } from '../store/email-record.js';
import { summarizeStatus } from '../store/email-record.js';
import { SUPPRESSION_SK, suppressionPk } from '../suppressions/suppression-store.js';
import type { EmailStore } from '../store/email-store.js';
import { hashKey, idempotencyItem } from './idempotency.js';

export interface AcceptSettings {
  accountId: string;
  messageIdDomain?: string;
  retentionDays: number;
}

export interface AcceptedEmail {
  record: EmailRecord;
  content: EmailContent;
  event: TimelineEvent;
}

/** Turns a validated request into the records that describe the new email. */
export function prepareEmail(
  request: SendEmailRequest,
  settings: AcceptSettings,
  now = new Date(),
): AcceptedEmail {
  const id = newId('em', now.getTime());
  const at = now.toISOString();
  const list = (value: string | string[] | undefined) =>
    (value === undefined ? [] : [value].flat());
  const recipients = uniqueRecipients(
    [['to', list(request.to)], ['cc', list(request.cc)], ['bcc', list(request.bcc)]],
    at,
  );
  const fromAddress = addressOf(request.from);
  const domain = settings.messageIdDomain
    ?? domainToASCII(fromAddress.slice(fromAddress.lastIndexOf('@') + 1));

  const record: EmailRecord = {
    accountId: settings.accountId,
    id,
    messageId: `<${id}@${domain}>`,
    status: 'queued',
    from: request.from,
    to: list(request.to),
    cc: list(request.cc),
    bcc: list(request.bcc),
    replyTo: list(request.replyTo),
    subject: request.subject,
    tags: request.tags ?? {},
    recipients,
    createdAt: at,
    updatedAt: at,
    attempts: 0,
    contentChunks: 1,
    expiresAt: Math.floor(now.getTime() / 1000) + settings.retentionDays * 86_400,
  };

  const content: EmailContent = {
    ...(request.text !== undefined ? { text: request.text } : {}),
    ...(request.html !== undefined ? { html: request.html } : {}),
    ...(request.headers ? { headers: request.headers } : {}),
    ...(request.attachments ? { attachments: request.attachments } : {}),
  };

  const event: TimelineEvent = {
    id: newId('ev', now.getTime()),
    type: 'queued',
    at,
    recipients: recipients.map((recipient) => recipient.address),
  };

  return { record, content, event };
}

/**
 * Stores the email, then queues its first attempt. Once the store succeeded the email is
 * accepted even if the queue fails: the sweeper finds it when its dispatch grace is over.
 */
export async function dispatchAccepted(
  accepted: AcceptedEmail,
  queue: SendQueue,
  logger: Logger,
): Promise<void> {
  const { record, content } = accepted;
  try {
    await queue.enqueue({
      v: 1,
      accountId: record.accountId,
      emailId: record.id,
      attempt: 0,
      content,
    });
  } catch (error) {
    logger.warn('queue unavailable; the sweeper will dispatch the email', {
      emailId: record.id,
      error,
    });
  }
}

export interface AcceptResult {
  emailId: string;
  /** True when an earlier request with the same Idempotency-Key created the email. */
  replayed: boolean;
}

export async function acceptEmail(
  request: SendEmailRequest,
  deps: { store: EmailStore; queue: SendQueue; logger: Logger; settings: AcceptSettings },
  idempotency?: { key: string; requestHash: string; hours: number },
): Promise<AcceptResult> {
  const accepted = prepareEmail(request, deps.settings);
  const { record } = accepted;
  const keyRecord = idempotency && idempotencyItem(record.accountId, {
    keyHash: hashKey(idempotency.key),
    requestHash: idempotency.requestHash,
    emailId: record.id,
    createdAt: record.createdAt,
    expiresAt: Math.floor(Date.parse(record.createdAt) / 1000) + idempotency.hours * 3600,
  });

  let suppressed = new Map<string, Record<string, unknown>>();
  for (let round = 0; ; round++) {
    const checks = record.recipients
      .filter((recipient) => !suppressed.has(recipient.address))
      .map((recipient) => ({
        address: recipient.address,
        key: { pk: suppressionPk(record.accountId, recipient.address), sk: SUPPRESSION_SK },
      }));
    const current = withSuppressed(accepted, suppressed);
    const result = await deps.store.create(current.record, current.content, current.events,
      keyRecord, checks);

    if (result.created) {
      if (current.record.status !== 'suppressed') {
        await dispatchAccepted(current, deps.queue, deps.logger);
      }
      return { emailId: record.id, replayed: false };
    }
    if ('existing' in result) {
      if (result.existing.requestHash !== idempotency?.requestHash) {
        throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used '
          + 'with a different request body.', [
          { path: 'Idempotency-Key', message: 'use a new key for a different email' },
        ]);
      }
      return { emailId: String(result.existing.emailId), replayed: true };
    }
    // An address was put on the list between two rounds at most once per recipient.
    if (round > record.recipients.length) throw new Error('suppression checks did not settle');
    suppressed = new Map([...suppressed, ...result.suppressed.map(
      (hit) => [hit.address, hit.entry] as const,
    )]);
  }
}

/**
 * The accepted email with some recipients suppressed: they never reach a relay, and the
 * email is `suppressed` outright when no recipient is left to send to.
 */
function withSuppressed(
  accepted: AcceptedEmail,
  suppressed: Map<string, Record<string, unknown>>,
): AcceptedEmail & { events: TimelineEvent[] } {
  if (suppressed.size === 0) return { ...accepted, events: [accepted.event] };

  const { record } = accepted;
  const recipients = record.recipients.map((recipient) => {
    const entry = suppressed.get(recipient.address);
    return entry
      ? {
        ...recipient,
        status: 'suppressed' as const,
        reason: `suppressed_${String(entry.reason)}`,
      }
      : recipient;
  });
  const status = summarizeStatus(recipients);
  const event: TimelineEvent = {
    id: newId('ev', Date.parse(record.createdAt)),
    type: 'suppressed',
    at: record.createdAt,
    recipients: [...suppressed.keys()],
    detail: { reason: 'on_suppression_list' },
  };
  return {
    ...accepted,
    record: { ...record, recipients, status },
    events: [accepted.event, event],
  };
}

function uniqueRecipients(
  fields: Array<[RecipientOutcome['field'], string[]]>,
  at: string,
): RecipientOutcome[] {
  const seen = new Set<string>();
  const out: RecipientOutcome[] = [];
  for (const [field, values] of fields) {
    for (const value of values) {
      const address = addressOf(value);
      const key = normalizeAddress(address);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ address, field, status: 'queued', updatedAt: at });
    }
  }
  return out;
}

function addressOf(value: string): string {
  const parsed = parseMailbox(value);
  if (!parsed.ok) throw new Error('address was validated before acceptance');
  return parsed.mailbox.address;
}
