import { describe, expect, it } from 'vitest';

import {
  classifyStatus,
  type ReportedAction,
  type StatusVerdict,
} from '../../../shared/bounces/status-classification.js';

type Row = [status: string | undefined, action: ReportedAction, verdict: StatusVerdict];

const verdict = (
  classification: StatusVerdict['classification'],
  reason: string,
  suppress = false,
): StatusVerdict => ({ classification, reason, suppress });

describe('classifyStatus', () => {
  it.each<Row>([
    ['5.1.1', 'failed', verdict('hard', 'mailbox_does_not_exist', true)],
    ['5.1.10', 'failed', verdict('hard', 'mailbox_does_not_exist', true)],
    ['5.1.2', 'failed', verdict('hard', 'domain_does_not_exist', true)],
    ['5.1.6', 'failed', verdict('hard', 'mailbox_moved', true)],
    ['5.1.3', 'failed', verdict('hard', 'invalid_address')],
    ['5.2.1', 'failed', verdict('hard', 'mailbox_disabled')],
    ['5.2.2', 'failed', verdict('soft', 'mailbox_full')],
    ['5.2.3', 'failed', verdict('undetermined', 'message_too_large')],
    ['5.3.4', 'failed', verdict('undetermined', 'message_too_large')],
    ['5.4.4', 'failed', verdict('hard', 'domain_unroutable')],
    ['5.4.7', 'failed', verdict('soft', 'delivery_expired')],
    ['5.5.3', 'failed', verdict('undetermined', 'too_many_recipients')],
    ['5.6.7', 'failed', verdict('undetermined', 'smtputf8_unsupported')],
    ['5.7.1', 'failed', verdict('undetermined', 'policy')],
    ['5.7.26', 'failed', verdict('undetermined', 'authentication_failed')],
    ['5.7.8', 'failed', verdict('undetermined', 'relay_authentication_failed')],
    ['5.0.0', 'failed', verdict('undetermined', 'unknown')],
    ['5.9.9', 'failed', verdict('undetermined', 'unknown')],
    ['4.4.7', 'failed', verdict('soft', 'delivery_expired')],
    ['4.2.2', 'failed', verdict('soft', 'mailbox_full')],
    ['4.1.1', 'failed', verdict('soft', 'mailbox_does_not_exist')],
    ['4.4.7', 'delayed', verdict('not_a_bounce', 'delivery_delayed')],
    ['4.7.1', 'delayed', verdict('not_a_bounce', 'delivery_delayed')],
    ['5.1.1', 'delayed', verdict('not_a_bounce', 'delivery_delayed')],
    ['2.0.0', 'delivered', verdict('not_a_bounce', 'delivered')],
    ['2.1.5', 'relayed', verdict('not_a_bounce', 'relayed')],
    ['2.0.0', 'expanded', verdict('not_a_bounce', 'expanded')],
    ['2.0.0', 'failed', verdict('undetermined', 'unknown')],
    ['5.1.1', 'unknown', verdict('hard', 'mailbox_does_not_exist')],
    [undefined, 'failed', verdict('undetermined', 'unknown')],
  ])('%s with Action %s', (status, action, expected) => {
    expect(classifyStatus(status, action)).toEqual(expected);
  });

  it('never suppresses for a relay\'s quota, policy, size or SMTPUTF8 failure', () => {
    const notSuppressed = ['5.6.7', '5.3.4', '5.2.3', '5.7.1', '5.7.0', '5.4.5', '5.2.2', '5.1.3'];

    const verdicts = notSuppressed.map((status) => classifyStatus(status, 'failed'));

    expect(verdicts.every((entry) => !entry.suppress)).toBe(true);
  });

  it('takes a precise code from the diagnostic when Status is generic', () => {
    const result = classifyStatus('5.0.0', 'failed', '550 5.1.1 <x@example.org>: User unknown');

    expect(result).toEqual(verdict('hard', 'mailbox_does_not_exist', true));
  });

  it('keeps a precise Status over a different code in the diagnostic', () => {
    const result = classifyStatus('5.2.2', 'failed', '550 5.1.1 User unknown');

    expect(result).toEqual(verdict('soft', 'mailbox_full'));
  });

  it.each([
    ['550 5.1.1 <x@example.org>: Recipient address rejected', 'mailbox_does_not_exist', true],
    ['550-5.1.10 RESOLVER.ADR.RecipientNotFound', 'mailbox_does_not_exist', true],
    ['5.1.2 Host unknown', 'domain_does_not_exist', true],
    ['550 User unknown', 'unknown', false],
    ['550 4.1.1 class digits disagree', 'unknown', false],
    ['553 sorry, that domain isn\'t in my list of allowed rcpthosts', 'unknown', false],
  ])('without Status reads the diagnostic "%s"', (diagnostic, reason, suppress) => {
    const result = classifyStatus(undefined, 'failed', diagnostic);

    expect(result.reason).toBe(reason);
    expect(result.suppress).toBe(suppress);
    expect(result.classification).toBe(suppress ? 'hard' : 'undetermined');
  });

  it('a 4xx reply without Status under Action: failed is soft', () => {
    expect(classifyStatus(undefined, 'failed', '421 Service not available')).toEqual(
      verdict('soft', 'unknown'),
    );
  });

  it('names spam and relay quota from the text without changing the verdict', () => {
    const spam = classifyStatus('5.7.1', 'failed', '550 5.7.1 Message rejected as spam');
    const quota = classifyStatus('5.4.5', 'failed', '550 5.4.5 Daily user sending quota exceeded');

    expect(spam).toEqual(verdict('undetermined', 'spam_rejected'));
    expect(quota).toEqual(verdict('soft', 'relay_quota'));
  });

  it('does not let text override a precise reason', () => {
    const result = classifyStatus('5.1.1', 'failed', '550 5.1.1 spam trap, user unknown');

    expect(result).toEqual(verdict('hard', 'mailbox_does_not_exist', true));
  });
});
