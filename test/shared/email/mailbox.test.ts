import { describe, expect, it } from 'vitest';

import { normalizeAddress, parseMailbox } from '../../../shared/email/mailbox.js';

describe('parseMailbox', () => {
  it.each([
    [
      '"Example Shop, Billing" <billing@example.com>',
      'Example Shop, Billing',
      'billing@example.com',
    ],
    ['"Lima, Ana" <ana.lima@example.org>', 'Lima, Ana', 'ana.lima@example.org'],
    ['"Jun \\"JP\\" Park" <jun.park@example.org>', 'Jun "JP" Park', 'jun.park@example.org'],
    ['Søren Ærø <soren.aero@example.org>', 'Søren Ærø', 'soren.aero@example.org'],
    [
      '"Support (Billing)" <billing-help@example.com>',
      'Support (Billing)',
      'billing-help@example.com',
    ],
    ['John Q. Public <john@example.com>', 'John Q. Public', 'john@example.com'],
  ])('keeps the display name of %s', (input, name, address) => {
    const result = parseMailbox(input);

    expect(result).toEqual({ ok: true, mailbox: { name, address } });
  });

  it.each([
    'ana.lima@example.org',
    '<ana.lima@example.org>',
    'josé.müller@example.org',
    'jorg@bücher.example',
  ])('accepts the bare address %s', (input) => {
    const result = parseMailbox(input);

    expect(result.ok).toBe(true);
  });

  it.each([
    ['Park, Jun <jun.park@example.com>', /inside double quotes/],
    ['Support (Billing) <help@example.com>', /inside double quotes/],
    ['quinn.reyes@example.org\r\nBcc: leak@example.net', /CR or LF/],
    ['"Quinn Reyes\r\nBcc: leak@example.net" <quinn.reyes@example.org>', /CR or LF/],
    ['Example Shop\nX-Priority: 1 <orders@example.com>', /CR or LF/],
    ['user@localhost', /not a valid domain/],
    ['user@exa_mple.com', /not a valid domain/],
    ['"quoted local"@example.com', /local part|address like/],
    ['two@example.com, three@example.com', /address like/],
    ['', /empty/],
    [`${'a'.repeat(65)}@example.com`, /too long/],
  ])('refuses %j', (input, reason) => {
    const result = parseMailbox(input);

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('parseMailbox: numeric domains', () => {
  it.each([
    'a@1.2.3.4',
    'a@127.1',
    'a@example.123',
    'Ana <ana@192.0.2.1>',
  ])('refuses %s: an all-numeric last label is an IP address', (input) => {
    const result = parseMailbox(input);

    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/all-numeric.*IP/) });
  });

  it.each(['a@1e100.net', 'a@123.example.com', 'a@example.c0m'])('accepts %s', (input) => {
    const result = parseMailbox(input);

    expect(result.ok).toBe(true);
  });
});

describe('parseMailbox: control characters', () => {
  it.each(['Ana\u0000 <a@example.org>', '"Ana\u0085" <a@example.org>', 'a\u007f@example.org'])(
    'refuses %j',
    (input) => {
      const result = parseMailbox(input);

      expect(result).toEqual({ ok: false, reason: 'must not contain control characters' });
    },
  );
});

describe('normalizeAddress', () => {
  it('lower-cases the domain only', () => {
    expect(normalizeAddress('Ana.Lima@Example.ORG')).toBe('Ana.Lima@example.org');
  });

  it.each([
    ['victim@exa\u00ADmple.com', 'a soft hyphen'],
    ['victim@\uFF45xample.com', 'a full-width letter'],
    ['victim@\u200Bexample.com', 'a zero-width space'],
  ])('maps %j (%s) to the plain domain', (address) => {
    expect(normalizeAddress(address)).toBe('victim@example.com');
  });

  it('writes an internationalised domain in its ASCII form', () => {
    expect(normalizeAddress('Jürgen@Bücher.de')).toBe('Jürgen@xn--bcher-kva.de');
    expect(normalizeAddress('Jürgen@xn--bcher-kva.de')).toBe('Jürgen@xn--bcher-kva.de');
  });
});
