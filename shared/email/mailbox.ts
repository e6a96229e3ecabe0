import { domainToASCII } from 'node:url';

import { CONTROL_CHARACTER, CONTROL_CHARACTERS_MESSAGE } from './control-characters.js';

/**
 * The address grammar Mailroom accepts, chosen on purpose:
 * - a mailbox is `addr-spec` or `display-name <addr-spec>` (RFC 5322 section 3.4);
 * - display names are atoms (UTF-8 allowed, RFC 6532) and quoted strings; an unquoted
 *   comma, parenthesis or other special is refused rather than guessed at, because it
 *   would make the header mean something else (two mailboxes, or a comment);
 * - the local part is a dot-atom, UTF-8 allowed (RFC 6531); quoted local parts and
 *   domain literals are refused;
 * - the domain has at least two labels and converts to an A-label form (IDNA); its last
 *   label is not all digits, because then it is an IP address written without brackets
 *   (RFC 1123 section 2.1, RFC 3696 section 2).
 * CR, LF and other control characters are never part of a mailbox.
 */
export interface Mailbox {
  name?: string;
  address: string;
}

export type MailboxResult = { ok: true; mailbox: Mailbox } | { ok: false; reason: string };

const ATEXT = "[\\p{L}\\p{N}\\p{M}\\p{S}!#$%&'*+\\-/=?^_`{|}~]";
const DOT_ATOM = new RegExp(`^${ATEXT}+(\\.${ATEXT}+)*$`, 'u');
const PHRASE_ATOM = new RegExp(`^(${ATEXT}|\\.)+$`, 'u');
const MAX_ADDRESS_OCTETS = 254;
const MAX_LOCAL_OCTETS = 64;

export function parseMailbox(input: string): MailboxResult {
  if (/[\r\n]/.test(input)) return fail('must not contain CR or LF characters');
  if (CONTROL_CHARACTER.test(input)) return fail(CONTROL_CHARACTERS_MESSAGE);

  const value = input.trim();
  if (value === '') return fail('must not be empty');
  if (!value.endsWith('>')) return parseAddressOnly(value);

  const open = value.lastIndexOf('<');
  if (open < 0) return fail('has a ">" without a matching "<"');
  const address = parseAddrSpec(value.slice(open + 1, -1).trim());
  if (!address.ok) return address;

  const phrase = value.slice(0, open).trim();
  if (phrase === '') return address;
  const name = parsePhrase(phrase);
  if (typeof name !== 'string') return name;

  return { ok: true, mailbox: { name, address: address.mailbox.address } };
}

/** The address in the form used for comparison: the domain in lower case. */
/**
 * The form addresses are compared in (the suppression list): the local part as given, which
 * may be case-sensitive (RFC 5321 section 2.4), and the domain in its IDNA ASCII form, so
 * `bücher.de`, `xn--bcher-kva.de` and spellings with full-width letters or invisible
 * characters that IDNA maps away are one domain.
 */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  const ascii = domainToASCII(domain) || domain;
  return `${address.slice(0, at)}@${ascii.toLowerCase()}`;
}

function parseAddressOnly(value: string): MailboxResult {
  if (/[<>"(),;:\s]/.test(value)) {
    return fail('must be an address like name@example.com or "Name" <name@example.com>');
  }
  return parseAddrSpec(value);
}

function parseAddrSpec(spec: string): MailboxResult {
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) return fail(`"${spec}" is not an email address`);

  const local = spec.slice(0, at);
  const domain = spec.slice(at + 1);
  if (!DOT_ATOM.test(local)) return fail(`the local part of "${spec}" is not valid`);
  if (Buffer.byteLength(local) > MAX_LOCAL_OCTETS) return fail('the local part is too long');
  if (Buffer.byteLength(spec) > MAX_ADDRESS_OCTETS) return fail('the address is too long');

  // Checked before the URL parser, which turns some numeric domains into an IPv4 address
  // ("127.1") and refuses others ("example.123") without saying why.
  if (endsInNumber(domain)) {
    return fail(`the domain of "${spec}" ends in an all-numeric label, which makes it an IP `
      + 'address; IP addresses are not accepted, give a domain name');
  }
  const ascii = domainToASCII(domain);
  const labels = ascii.split('.');
  const validLabels = labels.every(
    (label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label),
  );
  if (!ascii || labels.length < 2 || !validLabels || endsInNumber(ascii)) {
    return fail(`the domain of "${spec}" is not a valid domain name`);
  }

  return { ok: true, mailbox: { address: spec } };
}

function endsInNumber(domain: string): boolean {
  return /^[0-9]+$/.test(domain.slice(domain.lastIndexOf('.') + 1));
}

function parsePhrase(phrase: string): string | { ok: false; reason: string } {
  const words: string[] = [];
  let rest = phrase;

  while (rest.length > 0) {
    if (rest.startsWith('"')) {
      const quoted = readQuoted(rest);
      if (quoted === undefined) return fail('the display name has an unterminated quote');
      words.push(quoted.text);
      rest = rest.slice(quoted.length).trimStart();
      continue;
    }

    const match = /^[^\s"]+/.exec(rest);
    const word = match?.[0] ?? '';
    if (!PHRASE_ATOM.test(word)) {
      return fail('the display name has special characters (such as , ( ) ; : @) that must '
        + 'be inside double quotes');
    }
    words.push(word);
    rest = rest.slice(word.length).trimStart();
  }

  return words.join(' ');
}

function readQuoted(text: string): { text: string; length: number } | undefined {
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      out += text[++i];
    } else if (char === '"') {
      return { text: out, length: i + 1 };
    } else {
      out += char;
    }
  }
  return undefined;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
