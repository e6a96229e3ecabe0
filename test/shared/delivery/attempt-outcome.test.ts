import { describe, expect, it } from 'vitest';

import { decideOutcome, type OutcomeSettings } from '../../../shared/delivery/attempt-outcome.js';
import { SmtpError } from '../../../shared/smtp/smtp-error.js';
import { emailRecord, reply, transaction } from '../../support/factories.js';

const settings: OutcomeSettings = {
  maxAgeSeconds: 86_400,
  retryBaseSeconds: 60,
  retryMaxSeconds: 3600,
};
const now = new Date('2026-01-01T00:01:00.000Z');
const ANA = 'ana.lima@example.org';
const JUN = 'jun.park@example.org';
const fixedRandom = () => 0.5;

describe('decideOutcome', () => {
  it('marks every recipient sent after 250 to the final dot, keeping reply and queue id', () => {
    const attempt = transaction([[ANA, '250 2.1.5 Ok'], [JUN, '250 2.1.5 Ok']],
      '250 2.0.0 Ok: queued as 4XyZ', { queueId: '4XyZ' });

    const { outcome, events } = decideOutcome(emailRecord(),
      { kind: 'transaction', result: attempt }, settings, now);

    expect(outcome.status).toBe('sent');
    expect(outcome.recipients[0]).toMatchObject({
      status: 'sent', replyCode: 250, enhancedStatus: '2.0.0', queueId: '4XyZ', relay: 'relay-a',
      reply: '250 2.0.0 Ok: queued as 4XyZ',
    });
    expect(events.map((event) => event.type)).toEqual(['attempt', 'sent']);
  });

  it('bounces a recipient refused with 550 and sends to the other: partially sent', () => {
    const attempt = transaction(
      [[ANA, '550 5.1.1 <ana.lima@example.org>: Recipient address rejected'], [JUN, '250 Ok']],
      '250 2.0.0 Ok');

    const { outcome, events } = decideOutcome(emailRecord(),
      { kind: 'transaction', result: attempt }, settings, now);

    expect(outcome.status).toBe('partially_sent');
    expect(outcome.recipients[0]).toMatchObject({
      status: 'bounced', replyCode: 550, enhancedStatus: '5.1.1', reason: 'recipient_rejected',
    });
    expect(outcome.nextAttemptAt).toBeUndefined();
    expect(events.map((event) => event.type).sort()).toEqual(['attempt', 'bounced', 'sent']);
  });

  it.each(['451 4.7.1 Greylisted, try again later', '422 Recipient deferred'])(
    'defers on %s and schedules a retry with backoff',
    (line) => {
      const attempt = transaction([[ANA, line], [JUN, line]]);

      const decision = decideOutcome(emailRecord(), { kind: 'transaction', result: attempt },
        settings, now, fixedRandom);

      expect(decision.outcome.status).toBe('deferred');
      expect(decision.retryInSeconds).toBe(60);
      expect(decision.outcome.nextAttemptAt).toBe('2026-01-01T00:02:00.000Z');
    },
  );

  it('honours the relay\'s hint on when to try again', () => {
    const attempt = transaction([[ANA, '450 4.2.0 Try again in 300 seconds'], [JUN, '250 Ok']],
      '250 Ok');

    const decision = decideOutcome(emailRecord(), { kind: 'transaction', result: attempt },
      settings, now, fixedRandom);

    expect(decision.retryInSeconds).toBe(300);
    expect(decision.outcome.recipients[1]?.status).toBe('sent');
  });

  it('treats 552 at RCPT as temporary (too many recipients)', () => {
    const attempt = transaction([[ANA, '250 Ok'], [JUN, '552 5.5.3 Too many recipients']],
      '250 Ok');

    const { outcome } = decideOutcome(emailRecord(), { kind: 'transaction', result: attempt },
      settings, now);

    expect(outcome.recipients[1]?.status).toBe('deferred');
  });

  it('fails deferred recipients once the next attempt would pass the maximum age', () => {
    const old = emailRecord({ createdAt: '2025-12-31T00:02:00.000Z', attempts: 9 });
    const attempt = transaction([[ANA, '451 4.3.0 Try later'], [JUN, '451 4.3.0 Try later']]);

    const { outcome } = decideOutcome(old, { kind: 'transaction', result: attempt }, settings, now);

    expect(outcome.status).toBe('failed');
    expect(outcome.recipients.every((r) => r.reason === 'expired')).toBe(true);
  });

  it('marks the email uncertain when the final dot went out and no reply came', () => {
    const error = new SmtpError('timed out waiting for the reply to the final dot',
      { phase: 'end-of-data', kind: 'timeout', finalDotWritten: true });

    const { outcome, events } = decideOutcome(emailRecord(),
      { kind: 'error', error, relay: 'relay-a', durationMs: 5 }, settings, now);

    expect(outcome.status).toBe('uncertain');
    expect(outcome.nextAttemptAt).toBeUndefined();
    expect(events.at(-1)?.type).toBe('uncertain');
  });

  it('defers with a TLS reason when the relay offers no STARTTLS', () => {
    const error = new SmtpError('relay does not offer STARTTLS',
      { phase: 'starttls', kind: 'config' });

    const { outcome } = decideOutcome(emailRecord(),
      { kind: 'error', error, relay: 'relay-a', durationMs: 5 }, settings, now);

    expect(outcome.status).toBe('deferred');
    expect(outcome.reason).toBe('relay_tls_failed');
    expect(outcome.recipients[0]?.reply).toMatch(/STARTTLS/);
  });

  it('fails the email without bouncing when the relay refuses the sender', () => {
    const error = SmtpError.fromReply(reply('553 5.7.1 Sender not owned by user'),
      { phase: 'mail' });

    const { outcome } = decideOutcome(emailRecord(),
      { kind: 'error', error, relay: 'relay-a', durationMs: 5 }, settings, now);

    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toBe('sender_rejected');
  });

  it('leaves recipients decided by an earlier attempt as they were', () => {
    const record = emailRecord();
    record.recipients[0] = { ...record.recipients[0]!, status: 'sent', replyCode: 250 };
    const attempt = transaction([[JUN, '250 Ok']], '250 Ok');

    const { outcome } = decideOutcome(record, { kind: 'transaction', result: attempt },
      settings, now);

    expect(outcome.status).toBe('sent');
    expect(outcome.recipients[0]?.updatedAt).toBe(record.recipients[0]?.updatedAt);
  });
});
