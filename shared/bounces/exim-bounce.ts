/**
 * Exim's classic bounce and delay warning (text/plain, no delivery-status part): "This
 * message was created automatically by mail delivery software.", a sentence saying whether
 * the message "could not be delivered" (failure) or "has not yet been delivered" (delay),
 * then each address indented by two spaces with its details indented further:
 *
 *     kai@example.org
 *       host mx.example.org [192.0.2.25]
 *       SMTP error from remote mail server after RCPT TO:<kai@example.org>:
 *       550 5.1.1 <kai@example.org>: Recipient address rejected
 *
 * X-Failed-Recipients lists the failed addresses; those missing from the text are kept.
 */
import { readDiagnosticCodes } from './diagnostic-codes.js';
import type { PlainTextBounce } from './plain-text-bounce.js';
import type { ReportedRecipient } from './report-types.js';
import { classifyStatus, type ReportedAction } from './status-classification.js';

const INTRO = /This message was created automatically by mail delivery software/i;
const FAILED = /could not be delivered to one or more of its\s+recipients/i;
const DELAYED = /has not yet been delivered to one or more of its\s+recipients/i;
const LIST_START = /(?:failed|delivered (?:is|are)):\s*$/i;
const LIST_END = /^-{2,}\s*(?:This is a copy|The body of the message)/i;
const ADDRESS_LINE = /^ {1,3}(\S+)/;
const DETAIL_LINE = /^(?: {4,}|\t)/;
const GENERATED_FROM = /^\(generated from (\S+?)\)$/i;
const HOST = /\bhost (\S+) \[/i;
// "after RCPT TO:<x@example.org>:" or "after end of data:", sometimes then "host h [ip]:".
const AFTER_COMMAND = 'after [^:]*(?::<[^>]*>[^:]*)?:\\s*(?:host \\S+ \\[[^\\]]*\\]:\\s*)?';
const REMOTE_REPLY = [
  new RegExp(`SMTP error from remote (?:mail server|mailer|server) ${AFTER_COMMAND}(.*)$`, 'i'),
  /SMTP error from remote server for .*? command, host: .*? reason: (.*)$/i,
  /\bsaid:\s*(.*)$/i,
];

const MAX_DETAIL_CHARS = 4096;

interface Block {
  address: string;
  details: string[];
}

export function parseEximBounce(
  text: string,
  failedHeader: readonly string[],
): PlainTextBounce | undefined {
  if (!INTRO.test(text)) return undefined;

  const action: ReportedAction = DELAYED.test(text) && !FAILED.test(text) ? 'delayed' : 'failed';
  const problems = ['recipients read from the text of an Exim bounce'];
  const recipients = readBlocks(text, problems).map((block) => toRecipient(block, action));

  for (const recipient of failedHeader) {
    if (recipients.some((known) => mentions(known, recipient))) continue;
    recipients.push({ recipient, action: 'failed', ...classifyStatus(undefined, 'failed') });
  }
  if (recipients.length === 0) problems.push('Exim bounce lists no address');
  return { layout: 'exim', recipients, problems };
}

function readBlocks(text: string, problems: string[]): Block[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => LIST_START.test(line));
  const blocks: Block[] = [];
  let current: Block | undefined;

  for (const line of start === -1 ? [] : lines.slice(start + 1)) {
    if (LIST_END.test(line)) break;

    const address = DETAIL_LINE.test(line) ? undefined : ADDRESS_LINE.exec(line)?.[1];
    if (address !== undefined) {
      current = startBlock(address, problems);
      if (current) blocks.push(current);
    } else if (DETAIL_LINE.test(line) && line.trim() !== '') {
      current?.details.push(line.trim());
    } else if (line.trim() !== '') {
      current = undefined;
    }
  }
  return blocks;
}

function startBlock(token: string, problems: string[]): Block | undefined {
  const address = token.replace(/:$/, '').replace(/^<|>$/g, '');
  if (/^[^@\s]+@[^@\s]+$/.test(address)) return { address, details: [] };

  problems.push(`Exim bounce entry "${address}" is not an address; ignored`);
  return undefined;
}

function toRecipient(block: Block, action: ReportedAction): ReportedRecipient {
  const generatedFrom = block.details.map((line) => GENERATED_FROM.exec(line)?.[1]).find(Boolean);
  const joined = block.details.filter((line) => !GENERATED_FROM.test(line)).join(' ');
  const diagnosticCode = remoteReply(joined) ?? (joined.replace(/\s+/g, ' ').trim() || undefined);
  const status = readDiagnosticCodes(diagnosticCode).enhancedStatus;
  const remoteMta = HOST.exec(joined)?.[1];

  return {
    recipient: generatedFrom ?? block.address,
    ...(generatedFrom ? { finalRecipient: block.address } : {}),
    action,
    ...(status ? { status } : {}),
    ...(diagnosticCode ? { diagnosticCode } : {}),
    ...(remoteMta ? { remoteMta } : {}),
    ...classifyStatus(status, action, diagnosticCode),
  };
}

function remoteReply(details: string): string | undefined {
  // The patterns scan lazily; a bound keeps a hostile bounce from making that quadratic.
  const oneLine = details.replace(/\s+/g, ' ').trim().slice(0, MAX_DETAIL_CHARS);

  for (const pattern of REMOTE_REPLY) {
    const reply = pattern.exec(oneLine)?.[1]?.trim();
    if (reply) return reply;
  }
  return undefined;
}

function mentions(recipient: ReportedRecipient, address: string): boolean {
  const wanted = address.toLowerCase();
  return [recipient.recipient, recipient.finalRecipient].some((a) => a?.toLowerCase() === wanted);
}
