/**
 * The body of a message/delivery-status part (RFC 3464 section 2.1): one group of
 * per-message fields, then one group per recipient, groups separated by blank lines.
 * Field names and the `rfc822;`, `dns;`, `smtp;` type names are case-insensitive.
 * Input is the part's bytes as a "binary" string: fields are US-ASCII (RFC 3464) or UTF-8
 * (message/global-delivery-status, RFC 6533).
 */
import { reportedAddress, splitTypedValue } from './addresses.js';
import { readDiagnosticCodes, readEnhancedStatus } from './diagnostic-codes.js';
import { fieldValue, parseHeaderFields, type HeaderField } from './header-fields.js';
import type { ReportedRecipient } from './report-types.js';
import { classifyStatus, type ReportedAction } from './status-classification.js';

export interface DeliveryStatus {
  reportingMta?: string;
  recipients: ReportedRecipient[];
  problems: string[];
}

const ACTIONS: ReadonlySet<string> = new Set([
  'failed',
  'delayed',
  'delivered',
  'relayed',
  'expanded',
]);

export function parseDeliveryStatus(text: string): DeliveryStatus {
  const problems: string[] = [];
  const groups = splitFieldGroups(text, problems);
  const [first = [], ...rest] = groups;
  if (groups.length === 0) {
    return { recipients: [], problems: [...problems, 'delivery-status part is empty'] };
  }

  // RFC 3464 section 2.2 wants per-message fields first; some MTAs leave out the blank
  // line after them or the whole group, so the first group may already name a recipient.
  const startsWithRecipient = isRecipientGroup(first);
  const recipientGroups = startsWithRecipient ? groups : rest;
  if (startsWithRecipient) problems.push('delivery-status part has no per-message fields');

  const recipients = recipientGroups.flatMap((fields, index) => {
    const recipient = readRecipient(fields, index + 1, problems);
    return recipient ? [recipient] : [];
  });
  if (recipients.length === 0) problems.push('delivery-status part names no recipient');

  const reportingMta = fieldValue(first, 'reporting-mta');
  return {
    ...(reportingMta ? { reportingMta: readMtaName(reportingMta) } : {}),
    recipients,
    problems,
  };
}

/**
 * Strict recognition for a part that is not labelled message/delivery-status: the fields
 * RFC 3464 requires (Reporting-MTA; Final-Recipient, Action and a valid Status) must be
 * there, so free text that merely mentions them is not mistaken for a report.
 */
export function looksLikeDeliveryStatus(text: string): boolean {
  const [first, ...rest] = splitFieldGroups(text, []);
  if (!first || fieldValue(first, 'reporting-mta') === undefined) return false;

  return rest.some(
    (fields) =>
      reportedAddress(fieldValue(fields, 'final-recipient')) !== undefined &&
      readAction(fieldValue(fields, 'action')) !== 'unknown' &&
      readEnhancedStatus(fieldValue(fields, 'status')) !== undefined,
  );
}

function readRecipient(
  fields: HeaderField[],
  position: number,
  problems: string[],
): ReportedRecipient | undefined {
  const finalRecipient = reportedAddress(fieldValue(fields, 'final-recipient'));
  // RFC 3464 section 2.3.1: Original-Recipient is the address as the sender gave it.
  const recipient = reportedAddress(fieldValue(fields, 'original-recipient')) ?? finalRecipient;
  if (!recipient) {
    problems.push(`recipient group ${position} has no usable Final-Recipient; ignored`);
    return undefined;
  }

  const actionField = fieldValue(fields, 'action');
  const action = readAction(actionField);
  if (action === 'unknown') problems.push(`${recipient}: ${describe('Action', actionField)}`);

  const statusField = fieldValue(fields, 'status');
  const status = readEnhancedStatus(statusField);
  if (!status) problems.push(`${recipient}: ${describe('Status', statusField)}`);

  const diagnosticCode = readDiagnostic(fieldValue(fields, 'diagnostic-code'));
  const remoteMta = fieldValue(fields, 'remote-mta');
  const willRetryUntil = fieldValue(fields, 'will-retry-until');
  const reported = status ?? readDiagnosticCodes(diagnosticCode).enhancedStatus;
  return {
    recipient,
    ...(finalRecipient && finalRecipient !== recipient ? { finalRecipient } : {}),
    action,
    ...(reported ? { status: reported } : {}),
    ...(diagnosticCode ? { diagnosticCode } : {}),
    ...(remoteMta ? { remoteMta: readMtaName(remoteMta) } : {}),
    ...(willRetryUntil ? { willRetryUntil } : {}),
    ...classifyStatus(status, action, diagnosticCode),
  };
}

/** The text after the diagnostic-type (RFC 3464 section 2.3.6), on one line. */
export function readDiagnostic(field: string | undefined): string | undefined {
  if (field === undefined) return undefined;

  const text = splitTypedValue(field).value.replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

/**
 * `dns; mx.example.org. (192.0.2.40, the server for the domain example.org.)` becomes
 * `mx.example.org`: the type, a trailing comment and the root label's dot are dropped.
 */
function readMtaName(field: string): string {
  const name = splitTypedValue(field).value.replace(/\s*\([^()]*\)\s*$/, '').trim();
  return name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name;
}

/** RFC 3464 section 2.3.3; a trailing comment such as `failed (bad mailbox)` is ignored. */
function readAction(field: string | undefined): ReportedAction {
  const word = (field ?? '').trim().split(/[\s(;]/, 1)[0]?.toLowerCase() ?? '';
  return ACTIONS.has(word) ? (word as ReportedAction) : 'unknown';
}

function describe(name: string, value: string | undefined): string {
  return value === undefined ? `no ${name} field` : `${name} "${value}" not understood`;
}

function isRecipientGroup(fields: HeaderField[]): boolean {
  return fields.some((field) => field.name === 'final-recipient');
}

/**
 * Groups of fields separated by blank (or white-space-only) lines. Empty groups, such as
 * the trailing blank lines Exchange writes, are dropped without a problem.
 */
function splitFieldGroups(text: string, problems: string[]): HeaderField[][] {
  const groups: string[][] = [[]];

  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') groups.push([]);
    else groups[groups.length - 1]?.push(line);
  }

  return groups
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const parsed = parseHeaderFields(lines);
      problems.push(...parsed.problems.map((problem) => `delivery-status: ${problem}`));
      return parsed.fields;
    })
    .filter((fields) => fields.length > 0);
}
