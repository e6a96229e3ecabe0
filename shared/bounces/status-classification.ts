/**
 * What a reported delivery status means for the recipient, decided from numbers: the DSN
 * Action (RFC 3464 section 2.3.3), the enhanced status code (RFC 3463) and, when no valid
 * Status field says more, the codes that start the Diagnostic-Code.
 *
 * - hard: the address cannot receive mail (or the domain cannot route to it).
 * - soft: the recipient could not take the message for now (mailbox full, timeouts), or the
 *   reporting MTA gave up on a temporary (4.x.x) error.
 * - undetermined: this message failed, but the failure says nothing reliable about the
 *   address: policy, reputation, content, size, SMTPUTF8, the relay's own limits.
 * - not_a_bounce: delayed, delivered, relayed or expanded. The Action decides first: a
 *   delayed recipient is never a bounce, whatever its Status says.
 *
 * Suppression is narrower than "hard": only a permanent (5.x.x) failure saying the mailbox
 * or domain does not exist (5.1.1, 5.1.2, 5.1.6, 5.1.10), with Action: failed; a missing
 * or unknown Action never suppresses. 5.1.3 (bad address syntax) is hard but not
 * suppressed: it is one MTA's reading of the syntax, and an MTA with a stricter grammar
 * than ours (no SMTPUTF8, no quoted local parts) answers 5.1.3 for addresses that are
 * valid elsewhere. 5.4.4 (unable to route) is hard but not suppressed either: DNS can be
 * wrong for a while.
 */
import { readDiagnosticCodes, readEnhancedStatus } from './diagnostic-codes.js';

export type Classification = 'hard' | 'soft' | 'undetermined' | 'not_a_bounce';

export type ReportedAction =
  | 'failed'
  | 'delayed'
  | 'delivered'
  | 'relayed'
  | 'expanded'
  | 'unknown';

export interface StatusVerdict {
  classification: Classification;
  /** Machine-readable reason in snake_case, such as `mailbox_does_not_exist`. */
  reason: string;
  suppress: boolean;
}

type Rule = readonly [
  classification: 'hard' | 'soft' | 'undetermined',
  reason: string,
  suppress?: true,
];

const SUPPRESS = true;

/** Permanent failures by `subject.detail` (RFC 3463 section 3 and the IANA registry). */
const DETAIL_RULES: Readonly<Record<string, Rule>> = {
  // X.1 Addressing (RFC 3463 section 3.2)
  '1.1': ['hard', 'mailbox_does_not_exist', SUPPRESS], // bad destination mailbox
  '1.2': ['hard', 'domain_does_not_exist', SUPPRESS], // bad destination system
  '1.3': ['hard', 'invalid_address'], // bad mailbox syntax: see the header comment
  '1.4': ['undetermined', 'ambiguous_address'],
  '1.6': ['hard', 'mailbox_moved', SUPPRESS], // moved, no forwarding address
  '1.7': ['undetermined', 'sender_address_rejected'],
  '1.8': ['undetermined', 'sender_address_rejected'],
  // RFC 7505 registers X.1.10 as "null MX"; Exchange Online sends it for unknown users.
  '1.10': ['hard', 'mailbox_does_not_exist', SUPPRESS],
  // X.2 Mailbox (RFC 3463 section 3.3)
  '2.1': ['hard', 'mailbox_disabled'],
  '2.2': ['soft', 'mailbox_full'],
  '2.3': ['undetermined', 'message_too_large'],
  '2.4': ['undetermined', 'mailing_list_error'],
  // X.3 Mail system (RFC 3463 section 3.4)
  '3.1': ['soft', 'mail_system_full'],
  '3.2': ['soft', 'mail_system_unavailable'],
  '3.3': ['undetermined', 'feature_unsupported'],
  '3.4': ['undetermined', 'message_too_large'],
  // X.4 Network and routing (RFC 3463 section 3.5)
  '4.4': ['hard', 'domain_unroutable'], // no MX or A record
  '4.5': ['soft', 'congestion'],
  '4.6': ['undetermined', 'routing_loop'],
  '4.7': ['soft', 'delivery_expired'],
  // X.5 Protocol (RFC 3463 section 3.6)
  '5.3': ['undetermined', 'too_many_recipients'],
  // X.6 Content (RFC 3463 section 3.7; X.6.7-X.6.9, SMTPUTF8, from RFC 6531)
  '6.7': ['undetermined', 'smtputf8_unsupported'],
  '6.8': ['undetermined', 'smtputf8_unsupported'],
  '6.9': ['undetermined', 'smtputf8_unsupported'],
  // X.7 Security and policy (RFC 3463 section 3.8; X.7.20-X.7.26 from RFC 7372)
  '7.8': ['undetermined', 'relay_authentication_failed'],
  '7.9': ['undetermined', 'relay_authentication_failed'],
  '7.13': ['undetermined', 'relay_account_disabled'],
  '7.20': ['undetermined', 'authentication_failed'],
  '7.21': ['undetermined', 'authentication_failed'],
  '7.22': ['undetermined', 'authentication_failed'],
  '7.23': ['undetermined', 'authentication_failed'],
  '7.24': ['undetermined', 'authentication_failed'],
  '7.25': ['undetermined', 'authentication_failed'],
  '7.26': ['undetermined', 'authentication_failed'],
  '7.27': ['undetermined', 'sender_address_rejected'], // sender domain has a null MX
  '7.28': ['undetermined', 'spam_rejected'], // unusual rate of unsolicited mail
};

/** Every other detail of a subject. */
const SUBJECT_RULES: Readonly<Record<string, Rule>> = {
  '0': ['undetermined', 'unknown'],
  '1': ['undetermined', 'address_error'],
  '2': ['undetermined', 'mailbox_unavailable'],
  '3': ['undetermined', 'mail_system_error'],
  '4': ['soft', 'network'],
  '5': ['undetermined', 'protocol_error'],
  '6': ['undetermined', 'content_rejected'],
  '7': ['undetermined', 'policy'],
};

const UNKNOWN_RULE: Rule = ['undetermined', 'unknown'];
const UNDETERMINED: Readonly<StatusVerdict> = {
  classification: 'undetermined',
  reason: 'unknown',
  suppress: false,
};

/** Reasons vague enough that the reply text may name the cause; the verdict never changes. */
const REFINABLE_REASONS = new Set(['unknown', 'policy', 'congestion', 'mail_system_error']);
const RELAY_QUOTA_TEXT = /\b(?:sending|message|submission|daily|hourly)\b.{0,20}\b(?:quota|limit)/i;
const SPAM_TEXT = /\b(?:spam|unsolicited|junk mail|block ?list(?:ed)?|black ?list(?:ed)?)\b/i;

export function classifyStatus(
  status: string | undefined,
  action: ReportedAction,
  diagnostic?: string,
): StatusVerdict {
  if (action === 'delayed') return notABounce('delivery_delayed');
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') {
    return notABounce(action);
  }

  const codes = readDiagnosticCodes(diagnostic);
  const code = effectiveStatus(readEnhancedStatus(status), codes.enhancedStatus);
  if (!code) return fromReplyCode(codes.replyCode, diagnostic);

  const [statusClass, subject = '', detail = ''] = code.split('.');
  // A success code under Action: failed contradicts itself; it tells nothing.
  if (statusClass === '2') return { ...UNDETERMINED };

  const [classification, ruleReason, suppress] =
    DETAIL_RULES[`${subject}.${detail}`] ?? SUBJECT_RULES[subject] ?? UNKNOWN_RULE;
  const reason = refineReason(ruleReason, diagnostic);
  // A 4.x.x with Action: failed means the MTA gave up retrying: a failure, but a soft one.
  if (statusClass === '4') return { classification: 'soft', reason, suppress: false };
  return { classification, reason, suppress: suppress === true && action === 'failed' };
}

/**
 * The Status field decides (RFC 3464 section 2.3.4 makes it required). Only a generic
 * detail (X.0.0, or X.Y.0) gives way to a more precise code of the same class quoted in the
 * Diagnostic-Code, as in `Status: 5.0.0` with `smtp; 550 5.1.1 User unknown`.
 */
function effectiveStatus(
  status: string | undefined,
  diagnostic: string | undefined,
): string | undefined {
  if (!status) return diagnostic;
  if (!diagnostic || diagnostic[0] !== status[0]) return status;

  const [, subject, detail] = status.split('.');
  const [, diagnosticSubject] = diagnostic.split('.');
  const generic = detail === '0' && (subject === '0' || subject === diagnosticSubject);
  return generic ? diagnostic : status;
}

/** Without an enhanced code only the class digit of the reply code is known. */
function fromReplyCode(
  replyCode: number | undefined,
  diagnostic: string | undefined,
): StatusVerdict {
  const reason = refineReason('unknown', diagnostic);

  if (replyCode !== undefined && replyCode >= 400 && replyCode < 500) {
    return { classification: 'soft', reason, suppress: false };
  }
  return { classification: 'undetermined', reason, suppress: false };
}

function refineReason(reason: string, diagnostic: string | undefined): string {
  if (!diagnostic || !REFINABLE_REASONS.has(reason)) return reason;
  if (RELAY_QUOTA_TEXT.test(diagnostic)) return 'relay_quota';
  if (SPAM_TEXT.test(diagnostic)) return 'spam_rejected';
  return reason;
}

function notABounce(reason: string): StatusVerdict {
  return { classification: 'not_a_bounce', reason, suppress: false };
}
