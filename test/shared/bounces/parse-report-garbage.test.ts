/** Input that is not a report, or is broken: never a throw, never a recipient made up. */
import { readdirSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { parseReport } from '../../../shared/bounces/parse-report.js';
import { loadFixture } from './load-fixture.js';

/** Deterministic bytes (xorshift32), so a failure can be replayed. */
function randomBytes(seed: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const fixturesIn = (folder: string) =>
  readdirSync(new URL(`../../fixtures/${folder}/`, import.meta.url)).map((f) => `${folder}/${f}`);
const ALL_FIXTURES = [...fixturesIn('bounces'), ...fixturesIn('cases/dsn')];

describe('parseReport on input that is no report', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['blank lines', Buffer.from('\r\n\r\n  \n')],
  ])('%s input is unknown', (_name, raw) => {
    const report = parseReport(raw);

    expect(report).toEqual({
      kind: 'unknown',
      recipients: [],
      originalMessageIds: [],
      returnPathCandidates: [],
      problems: ['empty input'],
    });
  });

  it.each([1, 2, 3, 42, 4242])('random bytes (seed %i) are unknown', (seed) => {
    const raw = randomBytes(seed, 64 * 1024);

    const report = parseReport(raw);

    expect(report.kind).toBe('unknown');
    expect(report.recipients).toEqual([]);
    expect(report.problems.length).toBeGreaterThan(0);
  });

  it('random bytes under a multipart/report header are unknown', () => {
    const head = 'Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n';
    const raw = Buffer.concat([Buffer.from(head), randomBytes(7, 16 * 1024)]);

    const report = parseReport(raw);

    expect(report.kind).toBe('unknown');
    expect(report.recipients).toEqual([]);
  });

  it('an ordinary auto-reply is unknown, with its references kept for the record', () => {
    const report = parseReport(loadFixture('bounces/normal-auto-reply.eml'));

    expect(report.kind).toBe('unknown');
    expect(report.recipients).toEqual([]);
    expect(report.originalMessageIds).toEqual(['<reply-5550@mail.example.com>']);
    expect(report.problems).toEqual(['not a delivery status notification or feedback report']);
  });

  it('a delivery-status part without recipients is a DSN that names nobody', () => {
    const raw = Buffer.from(
      [
        'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
        '',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.org',
        '',
        'Action: failed',
        'Status: 5.1.1',
        '--b--',
        '',
      ].join('\n'),
    );

    const report = parseReport(raw);

    expect(report.kind).toBe('dsn');
    expect(report.recipients).toEqual([]);
    expect(report.problems).toEqual([
      'recipient group 1 has no usable Final-Recipient; ignored',
      'delivery-status part names no recipient',
      'no Message-ID of the original message found',
    ]);
  });
});

describe('parseReport on damaged reports', () => {
  it.each(ALL_FIXTURES)('never throws on any truncation of %s', (name) => {
    const raw = loadFixture(name, 'CRLF');

    for (let end = 0; end <= raw.length; end += 97) {
      const report = parseReport(raw.subarray(0, end));

      expect(['dsn', 'feedback', 'unknown']).toContain(report.kind);
      expect(Array.isArray(report.recipients)).toBe(true);
    }
  });

  it('keeps the recipients of a report whose returned message was cut off', () => {
    const raw = loadFixture('cases/dsn/postfix-user-unknown-alias.eml');
    const cut = raw.subarray(0, raw.indexOf('Hello Ana'));

    const report = parseReport(cut);

    expect(report.recipients[0]?.recipient).toBe('a.lima@example.org');
    expect(report.originalMessageIds).toEqual(['<CASE-15@mail.example.com>']);
    expect(report.problems).toEqual([
      'multipart with boundary "4VmQ2j6YpLz9vB.1715677964/mx.example.org" is not closed',
    ]);
  });

  it('reads past stray lines and a missing per-message group', () => {
    const raw = Buffer.from(
      [
        'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
        '',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Final-Recipient: rfc822; lost@example.org',
        'this line is not a field',
        'Action: failed (permanent)',
        'Status: 5.1.1 (user unknown)',
        '',
        '',
        '--b--',
      ].join('\r\n'),
    );

    const report = parseReport(raw);

    expect(report.recipients).toEqual([
      {
        recipient: 'lost@example.org',
        action: 'failed',
        status: '5.1.1',
        classification: 'hard',
        reason: 'mailbox_does_not_exist',
        suppress: true,
      },
    ]);
    expect(report.problems).toEqual([
      'delivery-status: not a header field: "this line is not a field"',
      'delivery-status part has no per-message fields',
      'no Message-ID of the original message found',
    ]);
  });

  it('does not suppress when Action is missing, even with 5.1.1', () => {
    const raw = Buffer.from(
      [
        'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
        '',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.org',
        '',
        'Final-Recipient: rfc822; lost@example.org',
        'Status: 5.1.1',
        '--b--',
      ].join('\n'),
    );

    const report = parseReport(raw);

    expect(report.recipients[0]).toMatchObject({
      action: 'unknown',
      classification: 'hard',
      suppress: false,
    });
    expect(report.problems).toContain('lost@example.org: no Action field');
  });
});
