/**
 * The numbers at the start of a remote server's reply as a report quotes it:
 * `550 5.1.1 <x@example.org>: User unknown`, `550-5.1.1 ...`, `5.1.1 ...`, or qmail's
 * `... (#5.1.1)`. Only numbers in these places count; words in the text never do.
 */

export interface DiagnosticCodes {
  /** The three-digit SMTP reply code (RFC 5321 section 4.2). */
  replyCode?: number;
  /** The enhanced status code (RFC 3463), such as `5.1.1` or `5.1.10`. */
  enhancedStatus?: string;
}

// RFC 3463 section 2: class 2, 4 or 5; subject and detail of one to three digits.
const ENHANCED = '([245])\\.(\\d{1,3})\\.(\\d{1,3})(?!\\.?\\d)';
const REPLY_THEN_ENHANCED = new RegExp(`^([245]\\d\\d)(?![\\d.])(?:[ -]+#?${ENHANCED})?`);
const ENHANCED_FIRST = new RegExp(`^#?${ENHANCED}`);
const QMAIL_CODE = new RegExp(`\\(#${ENHANCED}\\)`);
export const ENHANCED_STATUS = new RegExp(`^${ENHANCED}`);

export function readDiagnosticCodes(text: string | undefined): DiagnosticCodes {
  const trimmed = (text ?? '').trim();
  const reply = REPLY_THEN_ENHANCED.exec(trimmed);

  if (reply?.[1]) {
    const replyCode = Number(reply[1]);
    const enhancedStatus = reply[2] ? `${reply[2]}.${reply[3]}.${reply[4]}` : undefined;
    // RFC 3463 section 3: the class digit repeats the reply code's; a mismatch is unusable.
    if (enhancedStatus && enhancedStatus[0] === reply[1][0]) return { replyCode, enhancedStatus };
    return { replyCode };
  }

  const enhanced = ENHANCED_FIRST.exec(trimmed) ?? QMAIL_CODE.exec(trimmed);
  if (enhanced) return { enhancedStatus: `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}` };
  return {};
}

/** A valid enhanced status code at the start of a Status field, without its comment. */
export function readEnhancedStatus(field: string | undefined): string | undefined {
  const match = ENHANCED_STATUS.exec((field ?? '').trim());
  return match ? `${match[1]}.${match[2]}.${match[3]}` : undefined;
}
