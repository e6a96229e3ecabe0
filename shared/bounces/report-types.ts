/** What parseReport returns; see parse-report.ts for how each field is filled. */
import type { Classification, ReportedAction } from './status-classification.js';

export type ReportKind = 'dsn' | 'feedback' | 'unknown';

export interface ReportedRecipient {
  /** The address the sender used: Original-Recipient when present, else Final-Recipient. */
  recipient: string;
  finalRecipient?: string;
  action: ReportedAction;
  /** Enhanced status code (RFC 3463) such as 5.1.1 or 5.1.10. */
  status?: string;
  /** The Diagnostic-Code text after its type (`smtp;`), unfolded into one line. */
  diagnosticCode?: string;
  remoteMta?: string;
  willRetryUntil?: string;
  classification: Classification;
  /** Machine-readable reason in snake_case, such as `mailbox_does_not_exist`. */
  reason: string;
  /** True only when the address or its domain does not exist. */
  suppress: boolean;
}

export interface FeedbackDetails {
  feedbackType: string;
  userAgent?: string;
  originalRcptTo?: string;
  arrivalDate?: string;
}

export interface ParsedReport {
  kind: ReportKind;
  /** DSN: one per per-recipient field group. Feedback: the complained address(es). */
  recipients: ReportedRecipient[];
  /**
   * Message-IDs that identify the original message, most reliable first: the Message-ID
   * header of the returned message/rfc822 or text/rfc822-headers part, then In-Reply-To /
   * References of the report itself.
   */
  originalMessageIds: string[];
  /**
   * Envelope recipient of the report when known (X-Original-To / Delivered-To /
   * Envelope-To / To), for return-path correlation; for a feedback report also the
   * Original-Mail-From of the reported message.
   */
  returnPathCandidates: string[];
  feedback?: FeedbackDetails;
  reportingMta?: string;
  /** What could not be parsed, for the "kept and reported" path. */
  problems: string[];
}
