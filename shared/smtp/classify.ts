/**
 * Retry or bounce is decided from the reply code and the protocol step, never from the
 * reply text (RFC 5321 section 4.2: a client acts on the code, not on the text).
 */
import type { SmtpReply } from './reply.js';
import type { SmtpError, SmtpPhase } from './smtp-error.js';

export type ReplyClass = 'success' | 'transient' | 'permanent';

const PHASES_BEFORE_MAIL: ReadonlySet<SmtpPhase> = new Set([
  'connect',
  'greeting',
  'ehlo',
  'starttls',
  'tls',
  'auth',
]);

export function classifyReply(reply: SmtpReply, phase: SmtpPhase): ReplyClass {
  const classDigit = Math.floor(reply.code / 100);

  if (classDigit === 2 || classDigit === 3) return 'success';
  // RFC 5321 section 4.5.3.1.10: a 552 to RCPT means "too many recipients" and the client
  // must treat it as temporary, sending the rest in a later transaction.
  if (phase === 'rcpt' && reply.code === 552) return 'transient';
  if (classDigit === 5) return 'permanent';
  // 4yz, including codes outside the standard list such as 422 or 432, are temporary by
  // their class digit. Anything else is not a valid SMTP reply: not a reason to bounce.
  return 'transient';
}

/**
 * True when the failure belongs to the relay rather than to the message, so the caller
 * should try another relay (or this one later) instead of judging the message: failures
 * before MAIL (connection, greeting, EHLO, missing or refused STARTTLS, TLS, AUTH), and a
 * 421 at any step, which closes the channel (RFC 5321 section 3.8).
 */
export function isRelayLevelFailure(error: SmtpError): boolean {
  if (error.reply?.code === 421) return true;
  return PHASES_BEFORE_MAIL.has(error.phase);
}

const RETRY_HINT =
  /\b(?:in|after|for|wait)\s+(\d{1,6})\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b/i;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Seconds the relay's text suggests waiting ("try again in 30 seconds", "greylisted for
 * 300 seconds"). Only a hint for scheduling: classification never reads the text.
 */
export function retryAfterHint(reply: SmtpReply): number | undefined {
  const match = RETRY_HINT.exec(reply.text);
  if (!match?.[1] || !match[2]) return undefined;

  const amount = Number(match[1]);
  const unit = UNIT_SECONDS[match[2].charAt(0).toLowerCase()] ?? 1;
  return amount > 0 ? amount * unit : undefined;
}
