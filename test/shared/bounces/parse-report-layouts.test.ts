/** Bounce and complaint layouts of common MTAs and mailbox providers (test/fixtures/bounces). */
import { describe, expect, it } from 'vitest';

import { parseReport } from '../../../shared/bounces/parse-report.js';
import { editFixture, loadFixture } from './load-fixture.js';

const fixture = (name: string) => loadFixture(`bounces/${name}`);

describe('multipart/report delivery status notifications', () => {
  it('Exim: the 5.1.1 quoted in the Diagnostic-Code refines a generic Status 5.0.0', () => {
    const report = parseReport(fixture('exim-report-user-unknown.eml'));

    expect(report.kind).toBe('dsn');
    expect(report.recipients).toEqual([
      {
        recipient: 'lena.park@example.org',
        action: 'failed',
        status: '5.0.0',
        diagnosticCode:
          '550 5.1.1 <lena.park@example.org>: Recipient address rejected: User unknown in ' +
          'virtual mailbox table',
        remoteMta: 'mx.example.org',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
    ]);
    expect(report.originalMessageIds).toEqual(['<exim-report-5540@mail.example.com>']);
    expect(report.returnPathCandidates).toEqual(['bounces@bounce.example.com']);
  });

  it('Gmail: 5.1.1 from the delivery-status part of a nested multipart layout', () => {
    const report = parseReport(fixture('gmail-user-unknown.eml'));

    expect(report.kind).toBe('dsn');
    expect(report.reportingMta).toBe('googlemail.com');
    expect(report.recipients).toHaveLength(1);
    expect(report.recipients[0]).toMatchObject({
      recipient: 'no.such.user@example.org',
      action: 'failed',
      status: '5.1.1',
      remoteMta: 'mx.example.org',
      classification: 'hard',
      reason: 'mailbox_does_not_exist',
      suppress: true,
    });
    expect(report.recipients[0]?.diagnosticCode).toMatch(
      /^550-5\.1\.1 The email account that you tried to reach does not exist\. Please try 550-/,
    );
    expect(report.originalMessageIds).toEqual(['<gmail-5541@mail.example.com>']);
  });

  it('several recipients: one per field group, each classified on its own', () => {
    const report = parseReport(fixture('dsn-several-recipients.eml'));

    const summary = report.recipients.map(
      ({ recipient, action, status, classification, reason, suppress }) => ({
        recipient,
        action,
        status,
        classification,
        reason,
        suppress,
      }),
    );
    expect(summary).toEqual([
      {
        recipient: 'ghost@example.org',
        action: 'failed',
        status: '5.1.1',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
      {
        recipient: 'full.box@example.net',
        action: 'failed',
        status: '5.2.2',
        classification: 'soft',
        reason: 'mailbox_full',
        suppress: false,
      },
      {
        recipient: 'slow@example.com',
        action: 'delayed',
        status: '4.4.1',
        classification: 'not_a_bounce',
        reason: 'delivery_delayed',
        suppress: false,
      },
    ]);
    expect(report.recipients[2]?.willRetryUntil).toBe('Sat, 18 May 2024 15:30:02 +0000 (UTC)');
    expect(report.recipients[2]?.diagnosticCode).toBe(
      'connect to mx.example.com[203.0.113.5]:25: Connection timed out',
    );
    expect(report.originalMessageIds).toEqual(['<several-8800@mail.example.com>']);
  });

  it('Action: failed with Status 4.4.7 is a soft failure, not a delay and not suppressed', () => {
    const report = parseReport(fixture('dsn-failed-4xx-expired.eml'));

    expect(report.recipients).toEqual([
      {
        recipient: 'slow@example.com',
        action: 'failed',
        status: '4.4.7',
        diagnosticCode:
          'message expired after 4 days; last error: connect to ' +
          'mx.example.com[203.0.113.5]:25: Connection timed out',
        classification: 'soft',
        reason: 'delivery_expired',
        suppress: false,
      },
    ]);
  });

  it('decodes base64 parts: text, delivery status and returned headers', () => {
    const report = parseReport(fixture('dsn-base64-parts.eml'));

    expect(report.kind).toBe('dsn');
    expect(report.recipients[0]).toMatchObject({
      recipient: 'jonas.weiss@example.org',
      status: '5.1.1',
      suppress: true,
    });
    expect(report.reportingMta).toBe('mail.example.net');
    expect(report.originalMessageIds).toEqual(['<base64-5542@mail.example.com>']);
    expect(report.problems).toEqual([]);
  });

  it('accepts delivery-status fields in a text/plain part, and says so', () => {
    const report = parseReport(fixture('dsn-status-as-text-plain.eml'));

    expect(report.kind).toBe('dsn');
    expect(report.recipients[0]).toMatchObject({
      recipient: 'moved.away@example.org',
      status: '5.1.6',
      reason: 'mailbox_moved',
      suppress: true,
    });
    expect(report.problems).toEqual(['delivery-status fields found in a text/plain part']);
  });

  it('does not take a text/plain part with incomplete delivery-status fields', () => {
    const raw = editFixture(fixture('dsn-status-as-text-plain.eml'), 'Status: 5.1.6\n', '');

    const report = parseReport(raw);

    // Kept as a bounce from a mailer-daemon, with nothing machine-readable in it.
    expect(report.kind).toBe('dsn');
    expect(report.recipients).toEqual([]);
    expect(report.problems).toEqual([
      'multipart/report (report-type delivery-status) without a delivery-status or ' +
        'feedback-report part',
      'looks like a bounce but names no recipient in a form that can be read',
    ]);
  });

  it('a multipart/report from an ordinary sender without a report part is unknown', () => {
    const raw = editFixture(
      editFixture(fixture('dsn-status-as-text-plain.eml'), 'Status: 5.1.6\n', ''),
      'Mail Delivery Subsystem <MAILER-DAEMON@gw.example.net>',
      'Sam <sam@example.net>',
    );

    const report = parseReport(raw);

    expect(report.kind).toBe('unknown');
    expect(report.problems).toContain('not a delivery status notification or feedback report');
  });
});

describe('internationalised reports (RFC 6533)', () => {
  it('reads message/global-delivery-status with a utf-8 Original-Recipient', () => {
    const raw = Buffer.from(
      [
        'Content-Type: multipart/report; report-type=global-delivery-status; boundary=g',
        'In-Reply-To: <utf8-1@mail.example.com>',
        '',
        '--g',
        'Content-Type: message/global-delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.org',
        '',
        'Original-Recipient: utf-8; j\\x{00F6}rg@example.org',
        'Final-Recipient: rfc822; jörg@example.org',
        'Action: failed',
        'Status: 5.1.1',
        '--g--',
      ].join('\r\n'),
      'utf8',
    );

    const report = parseReport(raw);

    expect(report.recipients).toEqual([
      {
        recipient: 'jörg@example.org',
        action: 'failed',
        status: '5.1.1',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
    ]);
    expect(report.originalMessageIds).toEqual(['<utf8-1@mail.example.com>']);
  });
});

describe('bounces without a delivery-status part', () => {
  it('classic Exim: addresses from the text, X-Failed-Recipients for the rest', () => {
    const report = parseReport(fixture('exim-classic-failed.eml'));

    expect(report.kind).toBe('dsn');
    expect(report.recipients).toEqual([
      {
        recipient: 'noor.haddad@example.org',
        action: 'failed',
        status: '5.1.1',
        diagnosticCode:
          '550 5.1.1 <noor.haddad@example.org>: Recipient address rejected: User unknown',
        remoteMta: 'mx.example.org',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
      {
        recipient: 'sales@example.net',
        finalRecipient: 'team.sales@mail.example.net',
        action: 'failed',
        status: '5.2.2',
        diagnosticCode: '552 5.2.2 Mailbox full, try again later',
        remoteMta: 'mx.example.net',
        classification: 'soft',
        reason: 'mailbox_full',
        suppress: false,
      },
      {
        recipient: 'archive@example.net',
        action: 'failed',
        classification: 'undetermined',
        reason: 'unknown',
        suppress: false,
      },
    ]);
    expect(report.originalMessageIds).toEqual(['<exim-classic-7781@mail.example.com>']);
    expect(report.problems).toEqual(['recipients read from the text of an Exim bounce']);
  });

  it('classic Exim delay warning: delayed, not a bounce', () => {
    const report = parseReport(fixture('exim-classic-delayed.eml'));

    expect(report.recipients).toEqual([
      expect.objectContaining({
        recipient: 'mara.ionescu@example.org',
        action: 'delayed',
        status: '4.7.1',
        classification: 'not_a_bounce',
        reason: 'delivery_delayed',
        suppress: false,
      }),
    ]);
    expect(report.problems).toContain('no Message-ID of the original message found');
  });

  it('qmail: the remote reply after "said:" and qmail\'s own (#x.y.z) codes', () => {
    const report = parseReport(fixture('qmail-user-unknown.eml'));

    expect(report.kind).toBe('dsn');
    expect(report.reportingMta).toBe('mx.example.net');
    expect(report.recipients).toEqual([
      {
        recipient: 'sam.okafor@example.org',
        action: 'failed',
        status: '5.1.1',
        diagnosticCode:
          '550 5.1.1 <sam.okafor@example.org>: Recipient address rejected: User unknown in ' +
          'local recipient table',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
      {
        recipient: 'old.team@example.net',
        action: 'failed',
        status: '5.1.1',
        diagnosticCode: 'Sorry, no mailbox here by that name. (#5.1.1)',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
      {
        recipient: 'over.quota@example.net',
        action: 'failed',
        status: '5.2.2',
        diagnosticCode: 'The users mailfolder is over the allowed quota (size). (#5.2.2)',
        classification: 'soft',
        reason: 'mailbox_full',
        suppress: false,
      },
    ]);
    expect(report.originalMessageIds).toEqual(['<qmail-6610@mail.example.com>']);
    expect(report.problems).toEqual(['recipients read from the text of a qmail bounce']);
  });

  it('a qmail failure without a code stays undetermined and unsuppressed', () => {
    const raw = editFixture(
      fixture('qmail-user-unknown.eml'),
      'Sorry, no mailbox here by that name. (#5.1.1)',
      'Sorry, I could not deliver this message.',
    );

    const report = parseReport(raw);

    expect(report.recipients[1]).toMatchObject({
      recipient: 'old.team@example.net',
      classification: 'undetermined',
      suppress: false,
    });
    expect(report.recipients[1]?.status).toBeUndefined();
  });
});

describe('feedback reports (ARF)', () => {
  it('abuse report with a headers-only part: the Original-Rcpt-To complained', () => {
    const report = parseReport(fixture('arf-abuse-headers-only.eml'));

    expect(report).toEqual({
      kind: 'feedback',
      recipients: [
        {
          recipient: 'lee.chen@example.net',
          action: 'unknown',
          classification: 'not_a_bounce',
          reason: 'complaint',
          suppress: false,
        },
      ],
      originalMessageIds: ['<arf-5533@mail.example.com>'],
      returnPathCandidates: ['fbl@bounce.example.com', 'bounces+5533@bounce.example.com'],
      feedback: {
        feedbackType: 'abuse',
        userAgent: 'ExampleMail-Feedback/2.0',
        originalRcptTo: 'lee.chen@example.net',
        arrivalDate: 'Tue, 14 May 2024 12:01:02 +0000',
      },
      reportingMta: 'fbl.example.net',
      problems: [],
    });
  });

  it('without Original-Rcpt-To the To of the returned message complained', () => {
    const report = parseReport(fixture('arf-abuse-no-rcpt-to.eml'));

    expect(report.kind).toBe('feedback');
    expect(report.recipients.map((entry) => entry.recipient)).toEqual(['rosa.diaz@example.org']);
    expect(report.feedback).toEqual({
      feedbackType: 'abuse',
      userAgent: 'ExampleFBL/1.0',
      arrivalDate: 'Tue, 14 May 2024 14:10:00 -0400',
    });
    expect(report.originalMessageIds).toEqual(['<arf-7001@mail.example.com>']);
  });

  it('a not-spam report names the recipient without calling it a complaint', () => {
    const raw = editFixture(
      fixture('arf-abuse-headers-only.eml'),
      'Feedback-Type: abuse',
      'Feedback-Type: not-spam',
    );

    const report = parseReport(raw);

    expect(report.feedback?.feedbackType).toBe('not-spam');
    expect(report.recipients[0]).toMatchObject({ reason: 'not_spam', suppress: false });
  });

  it('reports missing required fields', () => {
    const raw = editFixture(fixture('arf-abuse-headers-only.eml'), 'Version: 0.1\n', '');

    const report = parseReport(raw);

    expect(report.kind).toBe('feedback');
    expect(report.problems).toEqual(['feedback report has no version']);
  });
});
