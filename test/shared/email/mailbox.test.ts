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

describe('normalizeAddress', () => {
  it('lower-cases the domain only', () => {
    expect(normalizeAddress('Ana.Lima@Example.ORG')).toBe('Ana.Lima@example.org');
  });
});
