/**
 * Bounces without a message/delivery-status part, read heuristically from their text:
 * qmail-send, classic Exim, and other mailer-daemon notices that at least carry an
 * X-Failed-Recipients header. Everything taken from free text is marked in `problems`
 * so a reader knows the result is a best guess.
 */
import { extractAddresses, extractMessageIds } from './addresses.js';
import { decodeEncodedWords } from './decode-encoded-words.js';
import { parseEximBounce } from './exim-bounce.js';
import { fieldValue, fieldValues, type HeaderField } from './header-fields.js';
import { parseQmailBounce } from './qmail-bounce.js';
import type { ReportedRecipient } from './report-types.js';
import { classifyStatus } from './status-classification.js';

export interface PlainTextBounce {
  layout: 'qmail' | 'exim' | 'mailer-daemon';
  recipients: ReportedRecipient[];
  reportingMta?: string;
  /** The Message-ID of the copy of the original message quoted in the text, if any. */
  originalMessageId?: string;
  problems: string[];
}

const DAEMON_SENDER = /\b(?:mailer-daemon|postmaster|mail delivery (?:system|subsystem))\b/i;
const BOUNCE_SUBJECT =
  /undeliver|returned mail|delivery (?:status notification|failure|failed)|failure notice/i;
const COPY_MARKER =
  /^-{2,}\s*(?:Below this line is a copy|Enclosed are the original headers|This is a copy)/im;
const QUOTED_MESSAGE_ID = /^Message-ID:[ \t]*(?:\n[ \t]+)?(<[^<>\s]+>)/im;

/**
 * @param headers the header fields of the bounce itself
 * @param text its first text/plain body, decoded
 */
export function parsePlainTextBounce(
  headers: readonly HeaderField[],
  text: string,
): PlainTextBounce | undefined {
  const failed = fieldValues(headers, 'x-failed-recipients').flatMap(extractAddresses);
  const parsed =
    parseQmailBounce(text) ?? parseEximBounce(text, failed) ?? mailerDaemonNotice(headers, failed);
  if (!parsed) return undefined;

  const originalMessageId = quotedMessageId(text);
  return { ...parsed, ...(originalMessageId ? { originalMessageId } : {}) };
}

/** Any other MTA: trust only the X-Failed-Recipients header, never the prose. */
function mailerDaemonNotice(
  headers: readonly HeaderField[],
  failed: string[],
): PlainTextBounce | undefined {
  const from = fieldValue(headers, 'from') ?? '';
  const subject = decodeEncodedWords(fieldValue(headers, 'subject') ?? '');
  if (failed.length === 0 && !(DAEMON_SENDER.test(from) && BOUNCE_SUBJECT.test(subject))) {
    return undefined;
  }

  const recipients = failed.map((recipient) => ({
    recipient,
    action: 'failed' as const,
    ...classifyStatus(undefined, 'failed'),
  }));
  const problem =
    failed.length > 0
      ? 'bounce layout not recognised; recipients taken from X-Failed-Recipients only'
      : 'looks like a bounce but names no recipient in a form that can be read';
  return { layout: 'mailer-daemon', recipients, problems: [problem] };
}

/** The first Message-ID header line after the "copy of the message" marker. */
function quotedMessageId(text: string): string | undefined {
  const normalised = text.replace(/\r\n/g, '\n');
  const marker = COPY_MARKER.exec(normalised);
  const quoted = QUOTED_MESSAGE_ID.exec(marker ? normalised.slice(marker.index) : normalised);
  return quoted?.[1] ? extractMessageIds(quoted[1])[0] : undefined;
}
