/**
 * SMTP replies: an incremental parser for what a relay sends back, the one-line form we
 * store, and the queue id a relay puts in its end-of-data reply.
 */

export interface SmtpReply {
  /** The three-digit reply code. */
  code: number;
  /** Enhanced status code (RFC 3463), such as `5.1.1`, when the relay sent one. */
  enhancedStatus?: string;
  /** Text of each line without the code, separator and enhanced status code. */
  lines: string[];
  /** The lines joined with a space. */
  text: string;
}

export class ReplyParseError extends Error {
  override readonly name = 'ReplyParseError';
}

const LF = 0x0a;
const MAX_LINE_BYTES = 16 * 1024;
const MAX_REPLY_LINES = 1000;
const REPLY_LINE = /^(\d{3})(?:([ -])(.*))?$/s;
const ENHANCED_STATUS = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)/;

/**
 * Turns bytes from the relay into replies. A reply of several lines uses `250-` on every
 * line but the last, which uses `250 ` (RFC 5321 section 4.2.1).
 */
export class ReplyParser {
  private buffer: Buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private code: number | undefined;

  /** Feeds bytes; returns every reply they complete. Throws ReplyParseError on garbage. */
  push(chunk: Buffer): SmtpReply[] {
    const replies: SmtpReply[] = [];
    let start = 0;

    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (let end = this.buffer.indexOf(LF); end !== -1; end = this.buffer.indexOf(LF, start)) {
      const line = this.buffer.toString('utf8', start, end).replace(/\r$/, '');
      const reply = this.takeLine(line);

      start = end + 1;
      if (reply) replies.push(reply);
    }

    this.buffer = this.buffer.subarray(start);
    if (this.buffer.length > MAX_LINE_BYTES) throw new ReplyParseError('reply line too long');
    return replies;
  }

  /** True while part of a reply has been received but not its last line. */
  get partial(): boolean {
    return this.buffer.length > 0 || this.lines.length > 0;
  }

  /** Forgets buffered input, for example plaintext that arrived before a TLS handshake. */
  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.lines = [];
    this.code = undefined;
  }

  private takeLine(line: string): SmtpReply | undefined {
    const match = REPLY_LINE.exec(line);
    if (!match) throw new ReplyParseError('malformed reply line');

    const code = Number(match[1]);
    if (this.code !== undefined && code !== this.code) {
      throw new ReplyParseError('reply code changed inside a multi-line reply');
    }

    this.code = code;
    this.lines.push(match[3] ?? '');
    if (this.lines.length > MAX_REPLY_LINES) throw new ReplyParseError('reply has too many lines');
    if (match[2] === '-') return undefined;

    const reply = buildReply(code, this.lines);
    this.lines = [];
    this.code = undefined;
    return reply;
  }
}

/** Builds a reply from its code and the raw text of each line (after `250-` or `250 `). */
export function buildReply(code: number, rawLines: string[]): SmtpReply {
  let enhancedStatus: string | undefined;

  const lines = rawLines.map((raw) => {
    const match = ENHANCED_STATUS.exec(raw);
    if (!match) return raw;

    enhancedStatus ??= match[1];
    return raw.slice(match[0].length);
  });

  const reply: SmtpReply = { code, lines, text: lines.join(' ').trim() };
  if (enhancedStatus !== undefined) reply.enhancedStatus = enhancedStatus;
  return reply;
}

/** Parses one complete reply given as text, for example a stored one. */
export function parseReply(text: string): SmtpReply {
  const normalised = text.endsWith('\n') ? text : text + '\r\n';
  const replies = new ReplyParser().push(Buffer.from(normalised, 'utf8'));

  if (replies.length !== 1 || !replies[0]) throw new ReplyParseError('expected exactly one reply');
  return replies[0];
}

/** The one-line form kept in records and logs: `550 5.1.1 <x@y>: Recipient address rejected`. */
export function formatReply(reply: SmtpReply): string {
  const parts = [String(reply.code)];

  if (reply.enhancedStatus) parts.push(reply.enhancedStatus);
  if (reply.text) parts.push(reply.text);
  return parts.join(' ');
}

export function isPositive(reply: SmtpReply): boolean {
  return reply.code >= 200 && reply.code < 300;
}

const QUEUE_ID_PATTERNS: RegExp[] = [
  // Postfix and many others: "Ok: queued as 4Xyz123".
  /\bqueued as ([A-Za-z0-9._-]+)/i,
  // Exim: "OK id=1abc-xyz".
  /\bid=([A-Za-z0-9._-]+)/i,
  // Amazon SES: "Ok 0100018c5f1b2a3d-...-000000".
  /^ok ([0-9a-f]{16}[0-9a-f-]*)$/i,
  // Sendmail: "u9BFoK6d016352 Message accepted for delivery".
  /^([A-Za-z0-9]+) Message accepted for delivery/i,
];

/** The relay's queue id from a positive end-of-data reply, when it names one. */
export function extractQueueId(reply: SmtpReply): string | undefined {
  if (!isPositive(reply)) return undefined;

  for (const pattern of QUEUE_ID_PATTERNS) {
    const match = pattern.exec(reply.text);
    if (match?.[1]) return match[1];
  }
  return undefined;
}
