/**
 * The one error type of the SMTP client. It keeps the protocol step that failed, what kind
 * of failure it was, the relay's reply when there was one, and whether the final
 * `<CRLF>.<CRLF>` had been handed to the connection (the message may then be delivered).
 */
import { formatReply, type SmtpReply } from './reply.js';

export type SmtpPhase =
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'starttls'
  | 'tls'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'end-of-data'
  | 'rset'
  | 'quit';

export type SmtpErrorKind = 'timeout' | 'connection' | 'tls' | 'protocol' | 'reply' | 'config';

export interface SmtpErrorDetails {
  phase: SmtpPhase;
  kind: SmtpErrorKind;
  reply?: SmtpReply;
  finalDotWritten?: boolean;
  relay?: string;
  cause?: unknown;
}

export class SmtpError extends Error {
  override readonly name = 'SmtpError';
  readonly phase: SmtpPhase;
  readonly kind: SmtpErrorKind;
  readonly reply?: SmtpReply;
  /** True once the final dot was given to the socket: the relay may have the message. */
  readonly finalDotWritten: boolean;
  /** Name of the relay the failure happened on. */
  readonly relay?: string;

  /** `message` must never contain credentials; callers build it from codes and names. */
  constructor(message: string, details: SmtpErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.phase = details.phase;
    this.kind = details.kind;
    this.finalDotWritten = details.finalDotWritten ?? false;
    if (details.reply) this.reply = details.reply;
    if (details.relay !== undefined) this.relay = details.relay;
  }

  /** An error for a relay reply that ended the step, with the reply in the message. */
  static fromReply(reply: SmtpReply, details: Omit<SmtpErrorDetails, 'kind' | 'reply'>) {
    const message = `relay answered ${details.phase} with ${formatReply(reply)}`;

    return new SmtpError(message, { ...details, kind: 'reply', reply });
  }
}
