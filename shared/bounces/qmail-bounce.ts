/**
 * qmail-send's bounce: "Hi. This is the qmail-send program at <host>.", then for each
 * failed address a line `<address>:` followed by its explanation, then "--- Below this line
 * is a copy of the message.". qmail writes its own status as `(#5.1.1)`; a remote server's
 * reply follows "Remote host said:".
 */
import type { PlainTextBounce } from './plain-text-bounce.js';
import type { ReportedRecipient } from './report-types.js';
import { readDiagnosticCodes } from './diagnostic-codes.js';
import { classifyStatus } from './status-classification.js';

const INTRO = /This is the qmail-send program at ([A-Za-z0-9.-]*[A-Za-z0-9])/i;
const RECIPIENT_LINE = /^<([^<>\s]+@[^<>\s]+)>:\s*$/;
const END_OF_LIST = /^-{2,}\s*(?:Below this line|Enclosed are)/i;
const SAID = /\bsaid:\s*/i;
const GIVING_UP = /^\s*(?:Giving up on|I'm not going to try again)/i;

interface Block {
  address: string;
  lines: string[];
}

export function parseQmailBounce(text: string): PlainTextBounce | undefined {
  const intro = INTRO.exec(text);
  if (!intro) return undefined;

  const recipients = readBlocks(text).map(toRecipient);
  const problems = ['recipients read from the text of a qmail bounce'];
  if (recipients.length === 0) problems.push('qmail bounce lists no address');
  return {
    layout: 'qmail',
    recipients,
    ...(intro[1] ? { reportingMta: intro[1] } : {}),
    problems,
  };
}

function readBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;

  for (const line of text.split(/\r?\n/)) {
    if (END_OF_LIST.test(line)) break;

    const recipient = RECIPIENT_LINE.exec(line);
    if (recipient?.[1]) {
      current = { address: recipient[1], lines: [] };
      blocks.push(current);
    } else if (line.trim() === '') {
      current = undefined;
    } else {
      current?.lines.push(line.trim());
    }
  }
  return blocks;
}

function toRecipient(block: Block): ReportedRecipient {
  const diagnosticCode = explanation(block.lines);
  const status = readDiagnosticCodes(diagnosticCode).enhancedStatus;

  return {
    recipient: block.address,
    action: 'failed',
    ...(status ? { status } : {}),
    ...(diagnosticCode ? { diagnosticCode } : {}),
    ...classifyStatus(status, 'failed', diagnosticCode),
  };
}

/** The remote reply when there is one, else qmail's own words (with their `(#x.y.z)`). */
function explanation(lines: string[]): string | undefined {
  const saidAt = lines.findIndex((line) => SAID.test(line));
  const relevant = (saidAt === -1 ? lines : lines.slice(saidAt))
    .filter((line) => !GIVING_UP.test(line))
    .join(' ');
  const text = (saidAt === -1 ? relevant : relevant.split(SAID).slice(1).join(' '))
    .replace(/\s+/g, ' ')
    .trim();
  return text === '' ? undefined : text;
}
