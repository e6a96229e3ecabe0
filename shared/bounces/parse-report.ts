/**
 * Reads a bounce (DSN, RFC 3464) or complaint (ARF, RFC 5965) report into what the
 * product needs: who the report is about, what happened, and which sent message it
 * concerns. Pure: no I/O, and it never throws; anything it could not read is listed in
 * `problems` and the rest is returned.
 *
 * Layout choices:
 * - The machine-readable part decides; the human-readable text of a multipart/report is
 *   only read when no delivery-status part exists.
 * - The delivery-status part is found by its type (message/delivery-status, or
 *   message/global-delivery-status of RFC 6533) anywhere in the multipart tree. A part of
 *   another type (text/plain, application/octet-stream) is accepted only when its content
 *   has every field RFC 3464 requires, and the mislabelling is reported in `problems`.
 * - Returned messages (message/rfc822, message/global, text/rfc822-headers,
 *   message/global-headers) are not searched for reports: a forwarded bounce is no bounce.
 * - Without any report part, qmail and classic Exim text layouts are read heuristically.
 * - Feedback reports: the complained recipients are the Original-Rcpt-To fields, else the To
 *   of the returned message; `not-spam` and `auth-failure` reports get their own reason
 *   instead of `complaint`. Nothing here suppresses a complainer: that is a policy decision.
 * - Unknown input still gets its In-Reply-To / References and envelope recipients, so the
 *   record kept for a person to read can point at the message it answers.
 */
import { extractAddresses, extractMessageIds, uniqueIgnoringCase } from './addresses.js';
import { looksLikeDeliveryStatus, parseDeliveryStatus } from './delivery-status.js';
import { looksLikeFeedbackReport, parseFeedbackReport } from './feedback-report.js';
import {
  headerValue,
  headerValues,
  parseMimeMessage,
  partText,
  walkParts,
  type MimePart,
} from './mime-message.js';
import { parsePlainTextBounce } from './plain-text-bounce.js';
import type { ParsedReport, ReportedRecipient } from './report-types.js';

export type {
  FeedbackDetails,
  ParsedReport,
  ReportKind,
  ReportedRecipient,
} from './report-types.js';

const DELIVERY_STATUS_TYPES = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
]);
const FEEDBACK_REPORT_TYPE = 'message/feedback-report';
const RETURNED_MESSAGE_TYPES = new Set([
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
]);
/** Types a mislabelled report part may carry; its content must then prove what it is. */
const SNIFFED_TYPES = new Set(['text/plain', 'application/octet-stream']);
/** Feedback types that are not a recipient's complaint (RFC 6650, RFC 6591). */
const NON_COMPLAINT_REASONS: Readonly<Record<string, string>> = {
  'not-spam': 'not_spam',
  'auth-failure': 'authentication_failure',
};
const ENVELOPE_RECIPIENT_HEADERS = ['x-original-to', 'delivered-to', 'envelope-to', 'to'];

interface Found {
  root: MimePart;
  parts: MimePart[];
  problems: string[];
}

export function parseReport(raw: Buffer): ParsedReport {
  try {
    return readReport(raw);
  } catch (error) {
    // Defensive: the readers are written not to throw, but a report must never be lost.
    const message = error instanceof Error ? error.message : String(error);
    return emptyReport([`report could not be read: ${message}`]);
  }
}

function readReport(raw: Buffer): ParsedReport {
  if (raw.toString('latin1').trim() === '') return emptyReport(['empty input']);

  const { root, problems } = parseMimeMessage(raw);
  const found: Found = { root, parts: [...walkParts(root)], problems };
  const report = readFeedback(found) ?? readDeliveryStatus(found) ?? readFallback(found);

  if (report.kind !== 'unknown' && report.originalMessageIds.length === 0) {
    report.problems.push('no Message-ID of the original message found');
  }
  return report;
}

function readDeliveryStatus(found: Found): ParsedReport | undefined {
  const part = found.parts.find((p) => DELIVERY_STATUS_TYPES.has(p.mediaType)) ?? sniff(found);
  if (!part) return undefined;

  const status = parseDeliveryStatus(binaryText(part));
  return {
    ...base(found, 'dsn', returnedMessageId(found)),
    recipients: status.recipients,
    ...(status.reportingMta ? { reportingMta: status.reportingMta } : {}),
    problems: [...found.problems, ...status.problems],
  };
}

/**
 * RFC 6522 section 3 names the report part by the report-type parameter; an unlabelled
 * part is only taken when its content passes the strict check.
 */
function sniff(found: Found): MimePart | undefined {
  const part = found.parts.find(
    (p) =>
      p !== found.root && SNIFFED_TYPES.has(p.mediaType) && looksLikeDeliveryStatus(binaryText(p)),
  );
  if (part) found.problems.push(`delivery-status fields found in a ${part.mediaType} part`);
  return part;
}

function readFeedback(found: Found): ParsedReport | undefined {
  const container = found.parts.find((p) => p.mediaType === 'multipart/report');
  const reportType = container?.params.get('report-type')?.toLowerCase();
  const labelled = found.parts.find((p) => p.mediaType === FEEDBACK_REPORT_TYPE);
  const unlabelled = (p: MimePart) =>
    SNIFFED_TYPES.has(p.mediaType) && looksLikeFeedbackReport(binaryText(p));
  const part =
    labelled ?? (reportType === 'feedback-report' ? container?.parts.find(unlabelled) : undefined);
  if (!part) return undefined;
  if (!labelled) found.problems.push(`feedback report found in a ${part.mediaType} part`);

  const report = parseFeedbackReport(binaryText(part));
  const returned = returnedHeaders(found);
  const feedbackType = report.feedbackType ?? 'unknown';
  const complained =
    report.originalRcptTo.length > 0
      ? report.originalRcptTo
      : extractAddresses(returned && headerValue(returned, 'to'));
  const reason = NON_COMPLAINT_REASONS[feedbackType] ?? 'complaint';
  const recipients = uniqueIgnoringCase(complained).map(
    (recipient): ReportedRecipient => ({
      recipient,
      action: 'unknown',
      classification: 'not_a_bounce',
      reason,
      suppress: false,
    }),
  );

  const parsed = base(found, 'feedback', returned && headerValue(returned, 'message-id'));
  if (report.originalMailFrom) {
    parsed.returnPathCandidates = uniqueIgnoringCase([
      ...parsed.returnPathCandidates,
      report.originalMailFrom,
    ]);
  }
  if (recipients.length === 0) report.problems.push('feedback report names no recipient');
  return {
    ...parsed,
    recipients,
    feedback: {
      feedbackType,
      ...(report.userAgent ? { userAgent: report.userAgent } : {}),
      ...(report.originalRcptTo[0] ? { originalRcptTo: report.originalRcptTo[0] } : {}),
      ...(report.arrivalDate ? { arrivalDate: report.arrivalDate } : {}),
    },
    ...(report.reportingMta ? { reportingMta: report.reportingMta } : {}),
    problems: [...found.problems, ...report.problems],
  };
}

/** No report part: a text layout when one is recognised, else nothing usable. */
function readFallback(found: Found): ParsedReport {
  const container = found.parts.find((p) => p.mediaType === 'multipart/report');
  if (container) {
    const reportType = container.params.get('report-type') ?? 'missing';
    found.problems.push(
      `multipart/report (report-type ${reportType}) without a delivery-status or ` +
        'feedback-report part',
    );
  }

  return readPlainText(found) ?? unknown(found);
}

function readPlainText(found: Found): ParsedReport | undefined {
  const textPart = found.parts.find((p) => p.mediaType === 'text/plain' && p.parts.length === 0);
  const bounce = parsePlainTextBounce(found.root.headers, textPart ? partText(textPart) : '');
  if (!bounce) return undefined;

  return {
    ...base(found, 'dsn', returnedMessageId(found) ?? bounce.originalMessageId),
    recipients: bounce.recipients,
    ...(bounce.reportingMta ? { reportingMta: bounce.reportingMta } : {}),
    problems: [...found.problems, ...bounce.problems],
  };
}

function unknown(found: Found): ParsedReport {
  const problem = 'not a delivery status notification or feedback report';
  return { ...base(found, 'unknown', undefined), problems: [...found.problems, problem] };
}

/**
 * Correlation data shared by every kind: the returned message's Message-ID first, then the
 * report's In-Reply-To and References (newest reference first, as RFC 5322 section 3.6.4
 * appends the parent last).
 */
function base(
  found: Found,
  kind: ParsedReport['kind'],
  returnedId: string | undefined,
): ParsedReport {
  const references = extractMessageIds(headerValue(found.root, 'references')).reverse();
  const ids = [
    ...extractMessageIds(returnedId),
    ...extractMessageIds(headerValue(found.root, 'in-reply-to')),
    ...references,
  ];
  const candidates = ENVELOPE_RECIPIENT_HEADERS.flatMap((name) =>
    headerValues(found.root, name).flatMap(extractAddresses),
  );

  return {
    kind,
    recipients: [],
    originalMessageIds: [...new Set(ids)],
    returnPathCandidates: uniqueIgnoringCase(candidates),
    problems: found.problems,
  };
}

function returnedMessageId(found: Found): string | undefined {
  const returned = returnedHeaders(found);
  return returned && headerValue(returned, 'message-id');
}

/**
 * The header section of the returned message, whether whole or headers only. RFC 6522
 * section 3 puts it in the multipart/report itself; elsewhere in the tree is second best.
 */
function returnedHeaders(found: Found): MimePart | undefined {
  const returned = (p: MimePart) => RETURNED_MESSAGE_TYPES.has(p.mediaType);
  const container = found.parts.find((p) => p.mediaType === 'multipart/report');
  const part = container?.parts.find(returned) ?? found.parts.find(returned);

  return part && parseMimeMessage(part.body).root;
}

function binaryText(part: MimePart): string {
  return part.body.toString('latin1');
}

function emptyReport(problems: string[]): ParsedReport {
  return {
    kind: 'unknown',
    recipients: [],
    originalMessageIds: [],
    returnPathCandidates: [],
    problems,
  };
}
