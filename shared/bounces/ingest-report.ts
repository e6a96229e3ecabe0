import { normalizeAddress } from '../email/mailbox.js';
import { newId } from '../ids/new-id.js';
import type { Logger } from '../log/logger.js';
import type { EmailRecord, RecipientOutcome, TimelineEvent } from '../store/email-record.js';
import { summarizeStatus } from '../store/email-record.js';
import type { EmailStore } from '../store/email-store.js';
import { suppressionWrite } from '../suppressions/suppression-store.js';
import { parseReport } from './parse-report.js';
import type { ParsedReport, ReportedRecipient } from './report-types.js';
import { rawText, type ReportStore, type StoredReport } from './report-store.js';

export interface IntakeDeps {
  store: EmailStore;
  reports: ReportStore;
  logger: Logger;
  accountId: string;
  bounceDomain?: string;
  retentionDays: number;
  now?: () => Date;
}

const EMAIL_ID = /^em_[0-9a-z]{26}$/;
/** A report racing an attempt on the same email waits for the attempt this many times. */
const APPLY_TRIES = 5;
const APPLY_WAIT_MS = 400;

/**
 * Takes one bounce or complaint report: keeps it, finds the email it is about, and moves
 * the recipients it names. A report is believed only when it names an email Mailroom sent
 * (its return path, or the exact Message-ID Mailroom assigned), so a forged report about
 * an unknown message changes nothing. Applying the same report twice changes nothing more.
 */
export async function ingestReport(raw: Buffer, deps: IntakeDeps): Promise<StoredReport> {
  const now = deps.now ?? (() => new Date());
  const parsed = parseReport(raw);
  const base = {
    id: newId('rp'),
    kind: parsed.kind,
    receivedAt: now().toISOString(),
    problems: parsed.problems,
    raw: rawText(raw),
    rawBytes: raw.length,
    expiresAt: Math.floor(now().getTime() / 1000) + deps.retentionDays * 86_400,
  };

  let report: StoredReport;
  if (parsed.kind === 'unknown' || parsed.recipients.length === 0) {
    report = { ...base, status: 'unparsed', recipients: [] };
  } else {
    const record = await correlate(parsed, deps);
    report = record
      ? { ...base, ...(await apply(record, parsed, base.id, deps)) }
      : { ...base, status: 'unmatched', recipients: describe(parsed, 'no_matching_email') };
  }

  report = await deps.reports.put(deps.accountId, report);
  const log = report.status === 'applied' ? deps.logger.info : deps.logger.warn;
  log('report received', {
    reportId: report.id, status: report.status, kind: report.kind,
    ...(report.emailId ? { emailId: report.emailId } : {}),
  });
  return report;
}

async function correlate(parsed: ParsedReport, deps: IntakeDeps): Promise<EmailRecord | undefined> {
  if (deps.bounceDomain) {
    for (const candidate of parsed.returnPathCandidates) {
      const match = /^[^@]*\+(em_[0-9a-z]{26})@(.+)$/i.exec(candidate.replace(/^<|>$/g, ''));
      if (!match || match[2]?.toLowerCase() !== deps.bounceDomain) continue;
      const record = await deps.store.getRecord(deps.accountId, (match[1] as string).toLowerCase());
      if (record) return record;
    }
  }

  for (const messageId of parsed.originalMessageIds) {
    const bare = messageId.replace(/^<|>$/g, '');
    const id = bare.slice(0, bare.indexOf('@')).toLowerCase();
    if (!EMAIL_ID.test(id)) continue;
    const record = await deps.store.getRecord(deps.accountId, id);
    // The whole Message-ID must be ours, not just an id-shaped local part.
    if (record && record.messageId.toLowerCase() === `<${bare.toLowerCase()}>`) return record;
  }
  return undefined;
}

async function apply(
  first: EmailRecord,
  parsed: ParsedReport,
  reportId: string,
  deps: IntakeDeps,
): Promise<Pick<StoredReport, 'status' | 'emailId' | 'recipients'>> {
  const now = deps.now ?? (() => new Date());
  let record: EmailRecord | undefined = first;

  for (let tries = 0; record && tries < APPLY_TRIES; tries++) {
    if (record.status !== 'sending') {
      const change = plan(record, parsed, reportId, now());
      if (change.events.length === 0) {
        return { status: 'ignored', emailId: record.id, recipients: change.outcomes };
      }
      const applied = await deps.store.applyReport(record, change, change.events,
        change.suppressions.map((entry) =>
          suppressionWrite(deps.store.tableName, deps.accountId, entry)),
        now().toISOString());
      if (applied) return { status: 'applied', emailId: record.id, recipients: change.outcomes };
    }
    await new Promise((resolve) => setTimeout(resolve, APPLY_WAIT_MS));
    record = await deps.store.getRecord(deps.accountId, first.id);
  }

  return {
    status: 'unmatched',
    emailId: first.id,
    recipients: describe(parsed, 'email_busy_try_again'),
  };
}

function plan(record: EmailRecord, parsed: ParsedReport, reportId: string, now: Date) {
  const at = now.toISOString();
  const recipients = [...record.recipients];
  const events: TimelineEvent[] = [];
  const suppressions: Array<{ address: string; reason: 'hard_bounce' | 'complaint';
    emailId: string; detail?: string; createdAt: string }> = [];
  const outcomes: StoredReport['recipients'] = [];

  for (const reported of parsed.recipients) {
    const index = findRecipient(recipients, reported);
    const target = index < 0 ? undefined : recipients[index];
    const outcome = (value: string) => outcomes.push({
      address: reported.recipient, action: reported.action, outcome: value,
    });
    if (!target) {
      outcome('not_a_recipient');
      continue;
    }
    const reached = target.status === 'sent' || target.status === 'uncertain';
    const detail = {
      reason: reported.reason,
      classification: reported.classification,
      ...(reported.status ? { status: reported.status, enhancedStatus: reported.status } : {}),
      ...(reported.diagnosticCode ? { diagnosticCode: reported.diagnosticCode } : {}),
      ...(reported.remoteMta ? { relay: reported.remoteMta } : {}),
      ...(reported.willRetryUntil ? { willRetryUntil: reported.willRetryUntil } : {}),
      reportId,
    };
    const event = (type: TimelineEvent['type']) => events.push({
      id: newId('ev', now.getTime()), type, at, recipients: [target.address], detail,
    });

    if (parsed.kind === 'feedback') {
      if (target.status === 'complained' || !reached && target.status !== 'bounced') {
        outcome(target.status === 'complained' ? 'already_recorded' : 'not_sent');
        continue;
      }
      if (target.status !== 'bounced') recipients[index] = moved(target, 'complained', detail, at);
      event('complained');
      suppressions.push({ address: target.address, reason: 'complaint', emailId: record.id,
        createdAt: at });
      outcome('complained');
    } else if (reported.action === 'failed') {
      if (!reached) {
        outcome(target.status === 'bounced' ? 'already_recorded' : 'not_sent');
        continue;
      }
      recipients[index] = moved(target, 'bounced', detail, at);
      event('bounced');
      if (reported.suppress) {
        suppressions.push({ address: target.address, reason: 'hard_bounce', emailId: record.id,
          detail: [reported.status, reported.diagnosticCode].filter(Boolean).join(' '),
          createdAt: at });
      }
      outcome('bounced');
    } else if (reported.action === 'delayed') {
      // A delay warning never moves a recipient, least of all back from a bounce.
      if (reached) event('delayed');
      outcome(reached ? 'delayed' : 'ignored');
    } else {
      outcome('ignored');
    }
  }

  return { status: summarizeStatus(recipients), recipients, events, suppressions, outcomes };
}

function findRecipient(recipients: RecipientOutcome[], reported: ReportedRecipient): number {
  const wanted = [reported.recipient, reported.finalRecipient]
    .filter((address): address is string => Boolean(address))
    .map((address) => normalizeAddress(address));
  return recipients.findIndex((recipient) => wanted.includes(normalizeAddress(recipient.address)));
}

function moved(
  target: RecipientOutcome,
  status: RecipientOutcome['status'],
  detail: { reason: string; status?: string; diagnosticCode?: string },
  at: string,
): RecipientOutcome {
  // The relay's 250 no longer describes this recipient; the report's own reply does.
  const { replyCode: _accepted, ...rest } = target;
  const replyCode = /^([245]\d\d)\b/.exec(detail.diagnosticCode ?? '')?.[1];
  return {
    ...rest,
    status,
    reason: detail.reason,
    ...(replyCode ? { replyCode: Number(replyCode) } : {}),
    ...(detail.status ? { enhancedStatus: detail.status } : {}),
    ...(detail.diagnosticCode ? { reply: detail.diagnosticCode } : {}),
    updatedAt: at,
  };
}

function describe(parsed: ParsedReport, outcome: string): StoredReport['recipients'] {
  return parsed.recipients.map((reported) => ({
    address: reported.recipient, action: reported.action, outcome,
  }));
}
