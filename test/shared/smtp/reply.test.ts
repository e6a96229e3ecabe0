import { describe, expect, it } from 'vitest';
import {
  extractQueueId,
  formatReply,
  parseReply,
  ReplyParseError,
  ReplyParser,
} from '../../../shared/smtp/reply.js';

describe('ReplyParser', () => {
  it('joins a multi-line 421 with enhanced status 4.7.28 into one reply', () => {
    const parser = new ReplyParser();
    const wire = [
      '421-4.7.28 [198.51.100.7] Sending rate from your domain is unusually high;',
      '421-4.7.28 mail from it is being throttled for now.',
      '421 4.7.28 Try again later. - relay',
      '',
    ].join('\r\n');

    const replies = parser.push(Buffer.from(wire));

    expect(replies).toHaveLength(1);
    expect(replies[0]).toEqual({
      code: 421,
      enhancedStatus: '4.7.28',
      lines: [
        '[198.51.100.7] Sending rate from your domain is unusually high;',
        'mail from it is being throttled for now.',
        'Try again later. - relay',
      ],
      text:
        '[198.51.100.7] Sending rate from your domain is unusually high; ' +
        'mail from it is being throttled for now. Try again later. - relay',
    });
  });

  it('recognises an enhanced status code with a three-digit detail such as 5.1.10', () => {
    const reply = parseReply('550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found');

    expect(reply.code).toBe(550);
    expect(reply.enhancedStatus).toBe('5.1.10');
    expect(reply.text).toBe('RESOLVER.ADR.RecipientNotFound; not found');
  });

  it('completes a reply only when its last line arrives, across chunk boundaries', () => {
    const parser = new ReplyParser();

    const first = parser.push(Buffer.from('250-relay.example.net greets you\r\n250-SIZE 10'));
    const second = parser.push(Buffer.from('485760\r\n250 8BITMI'));
    const third = parser.push(Buffer.from('ME\r\n220 next'));

    expect(first).toEqual([]);
    expect(second).toEqual([]);
    expect(third).toHaveLength(1);
    expect(third[0]?.lines).toEqual(['relay.example.net greets you', 'SIZE 10485760', '8BITMIME']);
    expect(parser.partial).toBe(true);
  });

  it('returns several replies that arrive in one chunk, in order', () => {
    const replies = new ReplyParser().push(Buffer.from('250 2.1.0 Ok\r\n550 5.1.1 No\r\n'));

    expect(replies.map((reply) => reply.code)).toEqual([250, 550]);
  });

  it('accepts a reply line without text and bare LF line endings', () => {
    const replies = new ReplyParser().push(Buffer.from('250\n354 go ahead\n'));

    expect(replies.map((reply) => [reply.code, reply.text])).toEqual([
      [250, ''],
      [354, 'go ahead'],
    ]);
  });

  it('does not take a number that merely looks like a status code as enhanced status', () => {
    const reply = parseReply('250 4.3.2.1 is my address');

    expect(reply.enhancedStatus).toBeUndefined();
    expect(reply.text).toBe('4.3.2.1 is my address');
  });

  it('rejects a line that is not an SMTP reply', () => {
    const parser = new ReplyParser();

    expect(() => parser.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(ReplyParseError);
  });

  it('rejects a multi-line reply whose code changes', () => {
    const parser = new ReplyParser();

    expect(() => parser.push(Buffer.from('250-first\r\n550 second\r\n'))).toThrow(ReplyParseError);
  });

  it('forgets buffered input on reset', () => {
    const parser = new ReplyParser();
    parser.push(Buffer.from('250-half of a rep'));

    parser.reset();
    const replies = parser.push(Buffer.from('220 fresh\r\n'));

    expect(replies.map((reply) => reply.text)).toEqual(['fresh']);
  });
});

describe('formatReply', () => {
  it('gives back the one-line form of a reply with enhanced status', () => {
    const reply = parseReply('550 5.1.1 <x@y>: Recipient address rejected');

    expect(formatReply(reply)).toBe('550 5.1.1 <x@y>: Recipient address rejected');
  });

  it('joins the lines of a multi-line reply', () => {
    const reply = parseReply('452-4.5.3 Too many\r\n452 4.5.3 recipients\r\n');

    expect(formatReply(reply)).toBe('452 4.5.3 Too many recipients');
  });

  it('omits the enhanced status when the relay sent none', () => {
    expect(formatReply(parseReply('250 OK: message queued'))).toBe('250 OK: message queued');
  });
});

const SES_MESSAGE_ID = '0100018c5f1b2a3d-6e2f1c0a-1b2c-4d5e-8f90-0123456789ab-000000';

describe('extractQueueId', () => {
  it.each([
    ['250 2.0.0 Ok: queued as 4Xyz123', '4Xyz123'],
    ['250 OK id=1abc-xyz', '1abc-xyz'],
    [`250 Ok ${SES_MESSAGE_ID}`, SES_MESSAGE_ID],
    ['250 2.0.0 u9BFoK6d016352 Message accepted for delivery', 'u9BFoK6d016352'],
  ])('finds the queue id in %s', (wire, queueId) => {
    expect(extractQueueId(parseReply(wire))).toBe(queueId);
  });

  it('finds none in a reply that names no queue id', () => {
    expect(extractQueueId(parseReply('250 OK: message queued'))).toBeUndefined();
  });

  it('finds none in a negative reply', () => {
    expect(extractQueueId(parseReply('451 4.3.0 queued as nothing'))).toBeUndefined();
  });
});
