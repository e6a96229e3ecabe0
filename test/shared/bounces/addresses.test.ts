import { describe, expect, it } from 'vitest';

import {
  extractAddresses,
  extractMessageIds,
  reportedAddress,
  splitTypedValue,
} from '../../../shared/bounces/addresses.js';

describe('reportedAddress', () => {
  it.each([
    ['rfc822; a.lima@example.org', 'a.lima@example.org'],
    ['RFC822;kai.berg@example.org', 'kai.berg@example.org'],
    ['rfc822; <kai.berg@example.org>', 'kai.berg@example.org'],
    ['kai.berg@example.org', 'kai.berg@example.org'],
    ['utf-8; j\\x{00F6}rg@example.org', 'jörg@example.org'],
    ['x400; c=US;a=;p=Example;o=Mail;s=Berg', undefined],
    ['rfc822; not an address', undefined],
    ['rfc822;', undefined],
  ])('%s -> %s', (field, expected) => {
    expect(reportedAddress(field)).toBe(expected);
  });
});

describe('splitTypedValue', () => {
  it('lower-cases the type and trims the value', () => {
    expect(splitTypedValue('SMTP; 550 5.1.1 unknown')).toEqual({
      type: 'smtp',
      value: '550 5.1.1 unknown',
    });
  });
});

describe('extractAddresses', () => {
  it.each([
    ['Kai Berg <kai.berg@example.org>', ['kai.berg@example.org']],
    ['"Berg, Kai" <kai@example.org>, ana@example.org', ['kai@example.org']],
    ['MAILER-DAEMON@mx.example.org (Mail Delivery System)', ['MAILER-DAEMON@mx.example.org']],
    ['a@example.org, b@example.net', ['a@example.org', 'b@example.net']],
    ['undisclosed-recipients:;', []],
  ])('%s', (value, expected) => {
    expect(extractAddresses(value)).toEqual(expected);
  });
});

describe('extractMessageIds', () => {
  it('keeps the angle brackets and the order', () => {
    expect(extractMessageIds('<a@example.com> (comment)\r\n <b@example.com>')).toEqual([
      '<a@example.com>',
      '<b@example.com>',
    ]);
  });
});
