/**
 * The body of a message/feedback-report part (RFC 5965 section 3): one group of fields.
 * Feedback-Type, User-Agent and Version are required (section 3.1); Original-Rcpt-To may
 * repeat, one per recipient of the reported message (section 3.2).
 */
import { reportedAddress, splitTypedValue } from './addresses.js';
import { fieldValue, fieldValues, parseHeaderFields } from './header-fields.js';

export interface FeedbackReport {
  /** Lower case: abuse, fraud, virus, other, not-spam (RFC 6650), auth-failure (RFC 6591). */
  feedbackType?: string;
  userAgent?: string;
  version?: string;
  originalRcptTo: string[];
  originalMailFrom?: string;
  arrivalDate?: string;
  reportingMta?: string;
  problems: string[];
}

const REQUIRED_FIELDS = ['feedback-type', 'user-agent', 'version'];

/** Takes the part's bytes as a "binary" string, like parseDeliveryStatus. */
export function parseFeedbackReport(text: string): FeedbackReport {
  // Blank lines are not part of the format, but some reporters write them; read past them.
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const { fields, problems } = parseHeaderFields(lines);

  for (const name of REQUIRED_FIELDS) {
    if (fieldValue(fields, name) === undefined) problems.push(`feedback report has no ${name}`);
  }

  const reportingMta = fieldValue(fields, 'reporting-mta');
  const report: FeedbackReport = {
    originalRcptTo: fieldValues(fields, 'original-rcpt-to').flatMap((value) => {
      const address = reportedAddress(value);
      return address ? [address] : [];
    }),
    problems,
  };

  setIfDefined(report, 'feedbackType', fieldValue(fields, 'feedback-type')?.toLowerCase());
  setIfDefined(report, 'userAgent', fieldValue(fields, 'user-agent'));
  setIfDefined(report, 'version', fieldValue(fields, 'version'));
  const originalMailFrom = reportedAddress(fieldValue(fields, 'original-mail-from'));
  setIfDefined(report, 'originalMailFrom', originalMailFrom);
  // Received-Date is the name drafts of the format used before Arrival-Date.
  setIfDefined(
    report,
    'arrivalDate',
    fieldValue(fields, 'arrival-date') ?? fieldValue(fields, 'received-date'),
  );
  setIfDefined(report, 'reportingMta', reportingMta && splitTypedValue(reportingMta).value);
  return report;
}

/** Strict recognition of an unlabelled part: the three required fields must be there. */
export function looksLikeFeedbackReport(text: string): boolean {
  const report = parseFeedbackReport(text);
  return report.feedbackType !== undefined && report.userAgent !== undefined &&
    report.version !== undefined;
}

type OptionalText = 'feedbackType' | 'userAgent' | 'version' | 'originalMailFrom' |
  'arrivalDate' | 'reportingMta';

function setIfDefined(report: FeedbackReport, key: OptionalText, value: string | undefined) {
  if (value) report[key] = value;
}
