/**
 * The DSN cases of test/fixtures/cases/cases.json (C-15, C-16, C-17): every MUST and
 * MUST NOT that depends on what the parser reads. Each runs on the file as stored (LF) and
 * as it arrives over SMTP (CRLF).
 */
import { describe, expect, it } from 'vitest';

import { parseReport } from '../../../shared/bounces/parse-report.js';
import { editFixture, loadFixture, type LineEnding } from './load-fixture.js';

const LINE_ENDINGS: LineEnding[] = ['LF', 'CRLF'];

describe.each(LINE_ENDINGS)('C-15 Postfix DSN after alias expansion (%s)', (lineEnding) => {
  const raw = loadFixture('cases/dsn/postfix-user-unknown-alias.eml', lineEnding);

  it('reports the address the sender used (Original-Recipient), not the expanded one', () => {
    const report = parseReport(raw);

    expect(report.kind).toBe('dsn');
    expect(report.recipients).toHaveLength(1);
    expect(report.recipients[0]).toMatchObject({
      recipient: 'a.lima@example.org',
      finalRecipient: 'ana.lima@mailstore.example.org',
      action: 'failed',
      status: '5.1.1',
      classification: 'hard',
      reason: 'mailbox_does_not_exist',
      suppress: true,
    });
  });

  it('never makes the expanded address a recipient of its own', () => {
    const report = parseReport(raw);

    const recipients = report.recipients.map((entry) => entry.recipient);
    expect(recipients).not.toContain('ana.lima@mailstore.example.org');
  });

  it('unfolds the Diagnostic-Code into one line without its smtp; type', () => {
    const report = parseReport(raw);

    expect(report.recipients[0]?.diagnosticCode).toBe(
      '550 5.1.1 <ana.lima@mailstore.example.org>: Recipient address rejected: ' +
        'no mailbox by that name here',
    );
  });

  it('correlates through the Message-ID of the returned message/rfc822 part', () => {
    const report = parseReport(raw);

    expect(report.originalMessageIds).toEqual(['<CASE-15@mail.example.com>']);
    expect(report.returnPathCandidates).toEqual(['bounces@bounce.example.com']);
    expect(report.reportingMta).toBe('mx.example.org');
    expect(report.problems).toEqual([]);
  });

  it('reads the same report twice to the same result, so ingestion can be idempotent', () => {
    const first = parseReport(raw);

    const second = parseReport(Buffer.from(raw));

    expect(second).toEqual(first);
  });
});

describe.each(LINE_ENDINGS)('C-16 Sendmail delay warning (%s)', (lineEnding) => {
  const raw = loadFixture('cases/dsn/sendmail-delayed-warning.eml', lineEnding);

  it('is not a bounce: delayed, never suppressed, Will-Retry-Until kept', () => {
    const report = parseReport(raw);

    expect(report.kind).toBe('dsn');
    expect(report.recipients).toEqual([
      {
        recipient: 'kai.berg@example.org',
        action: 'delayed',
        status: '4.4.7',
        diagnosticCode: '421 4.4.2 mx2.example.org Error: timeout exceeded',
        remoteMta: 'mx2.example.org',
        willRetryUntil: 'Sun, 19 May 2024 09:28:55 GMT',
        classification: 'not_a_bounce',
        reason: 'delivery_delayed',
        suppress: false,
      },
    ]);
  });

  it('reads the upper-case RFC822;, DNS; and SMTP; type names', () => {
    const report = parseReport(raw);

    const [entry] = report.recipients;
    expect(entry?.recipient).toBe('kai.berg@example.org');
    expect(entry?.remoteMta).toBe('mx2.example.org');
    expect(entry?.diagnosticCode?.startsWith('421 ')).toBe(true);
    expect(report.reportingMta).toBe('relay.example.net');
  });

  it('correlates through the text/rfc822-headers part', () => {
    const report = parseReport(raw);

    expect(report.originalMessageIds).toEqual(['<CASE-16@mail.example.com>']);
    expect(report.problems).toEqual([]);
  });
});

describe.each(LINE_ENDINGS)('C-17 Microsoft 365 NDR (%s)', (lineEnding) => {
  const raw = loadFixture('cases/dsn/office365-recipient-not-found.eml', lineEnding);

  it('keeps the three-digit detail of 5.1.10 and suppresses the address', () => {
    const report = parseReport(raw);

    expect(report.kind).toBe('dsn');
    expect(report.recipients).toEqual([
      {
        recipient: 'kai.berg@example.org',
        action: 'failed',
        status: '5.1.10',
        diagnosticCode:
          '550 5.1.10 RESOLVER.ADR.RecipientNotFound; recipient address not found in ' +
          'directory lookup',
        remoteMta: 'example-org.mail.protection.exchangelabs.example',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
    ]);
  });

  it('ignores the empty trailing field group without a problem', () => {
    const report = parseReport(raw);

    expect(report.problems).toEqual([]);
  });

  it('correlates without a message/rfc822 part: headers-only part, then In-Reply-To', () => {
    const report = parseReport(raw);

    expect(report.originalMessageIds).toEqual(['<CASE-17@mail.example.com>']);
    expect(report.returnPathCandidates).toEqual(['orders@example.com']);
  });

  it('still correlates through In-Reply-To and References when the headers part is gone', () => {
    const withoutHeaders = editFixture(
      raw,
      /Content-Type: text\/rfc822-headers[\s\S]*?(?=\r?\n--5e1f3c2a-7b7d-4d1e-9c55-0f1e2d3c4b5a--)/,
      'Content-Type: text/plain\n\nheaders removed',
    );

    const report = parseReport(withoutHeaders);

    expect(report.originalMessageIds).toEqual(['<CASE-17@mail.example.com>']);
  });

  it('takes the delivery-status part, not the quoted-printable text, as the truth', () => {
    const contradicting = editFixture(raw, 'Status: 5.1.10', 'Status: 4.2.2');

    const report = parseReport(editFixture(contradicting, 'Action: failed', 'Action: delayed'));

    expect(report.recipients[0]).toMatchObject({
      action: 'delayed',
      status: '4.2.2',
      classification: 'not_a_bounce',
      suppress: false,
    });
  });

  it('returns the forged Message-ID of a spoofed copy, so it correlates with nothing', () => {
    const spoofed = editFixture(raw, 'CASE-17@mail.example.com', 'never-issued@mail.example.com');

    const report = parseReport(spoofed);

    expect(report.originalMessageIds).toEqual(['<never-issued@mail.example.com>']);
  });
});
