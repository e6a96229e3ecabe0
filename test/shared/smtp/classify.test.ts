import { describe, expect, it } from 'vitest';
import {
  classifyReply,
  isRelayLevelFailure,
  retryAfterHint,
} from '../../../shared/smtp/classify.js';
import { parseReply } from '../../../shared/smtp/reply.js';
import { SmtpError, type SmtpPhase } from '../../../shared/smtp/smtp-error.js';

describe('classifyReply', () => {
  it.each<[string, SmtpPhase, string]>([
    ['250 2.1.5 Ok', 'rcpt', 'success'],
    ['251 2.1.5 User not local; will forward', 'rcpt', 'success'],
    ['354 End data with <CR><LF>.<CR><LF>', 'data', 'success'],
    ['451 4.7.1 Recipient address rejected: greylisted', 'rcpt', 'transient'],
    ['422 4.2.2 Greylisted, try again later', 'rcpt', 'transient'],
    ['432 4.3.2 Too many simultaneous connections', 'starttls', 'transient'],
    ['452 4.5.3 Too many recipients', 'rcpt', 'transient'],
    ['421 4.7.28 Try again later', 'end-of-data', 'transient'],
    ['552 5.5.3 Too many recipients', 'rcpt', 'transient'],
    ['552 5.3.4 Message size exceeds fixed limit', 'end-of-data', 'permanent'],
    ['550 5.1.1 User unknown', 'rcpt', 'permanent'],
    ['553 5.6.7 Non-ASCII addresses not permitted', 'rcpt', 'permanent'],
    ['554 5.7.1 Message rejected as spam', 'end-of-data', 'permanent'],
    ['550 4.7.1 class digits disagree', 'rcpt', 'permanent'],
  ])('classifies %s at %s as %s', (wire, phase, expected) => {
    expect(classifyReply(parseReply(wire), phase)).toBe(expected);
  });

  it('never reads the text: the same words under a 5xx code stay permanent', () => {
    const reply = parseReply('550 5.7.1 temporary problem, try again later');

    expect(classifyReply(reply, 'rcpt')).toBe('permanent');
  });
});

describe('isRelayLevelFailure', () => {
  const reply = (wire: string) => parseReply(wire);

  it.each<[string, SmtpError, boolean]>([
    ['connection refused', new SmtpError('x', { phase: 'connect', kind: 'connection' }), true],
    ['greeting timeout', new SmtpError('x', { phase: 'greeting', kind: 'timeout' }), true],
    ['554 greeting', SmtpError.fromReply(reply('554 5.7.1 go away'), { phase: 'greeting' }), true],
    ['STARTTLS missing', new SmtpError('x', { phase: 'starttls', kind: 'config' }), true],
    ['STARTTLS refused', SmtpError.fromReply(reply('454 4.7.0 no'), { phase: 'starttls' }), true],
    ['bad certificate', new SmtpError('x', { phase: 'tls', kind: 'tls' }), true],
    ['535 at AUTH', SmtpError.fromReply(reply('535 5.7.8 bad'), { phase: 'auth' }), true],
    ['AUTH not offered', new SmtpError('x', { phase: 'auth', kind: 'config' }), true],
    ['421 at MAIL', SmtpError.fromReply(reply('421 4.3.2 bye'), { phase: 'mail' }), true],
    ['421 at RCPT', SmtpError.fromReply(reply('421 4.7.0 bye'), { phase: 'rcpt' }), true],
    ['550 at MAIL', SmtpError.fromReply(reply('550 5.7.1 sender'), { phase: 'mail' }), false],
    ['message too large', new SmtpError('x', { phase: 'mail', kind: 'config' }), false],
    ['drop in DATA', new SmtpError('x', { phase: 'data', kind: 'connection' }), false],
    [
      'timeout after the final dot',
      new SmtpError('x', { phase: 'end-of-data', kind: 'timeout', finalDotWritten: true }),
      false,
    ],
  ])('%s -> %s', (_name, error, expected) => {
    expect(isRelayLevelFailure(error)).toBe(expected);
  });
});

describe('retryAfterHint', () => {
  it.each([
    ['451 4.7.1 try again in 30 seconds', 30],
    ['450 4.2.0 retry after 5 minutes', 300],
    ['451 4.7.1 <a@b>: greylisted for 300 seconds, come back later', 300],
    ['421 4.7.0 Please wait 2 hours', 7200],
  ])('reads %s as %i seconds', (wire, seconds) => {
    expect(retryAfterHint(parseReply(wire))).toBe(seconds);
  });

  it('gives no hint when the text names no delay', () => {
    expect(retryAfterHint(parseReply('451 4.3.0 Try again later'))).toBeUndefined();
  });
});
