import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import {
  generateSecret,
  signPayload,
  verifySignature,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  webhookHeaders,
  WebhookSecretError,
} from '../../../shared/webhooks/webhook-signature.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const SECRET = `whsec_${KEY.toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.alloc(32, 0xab).toString('base64')}`;
const ID = 'msg_2kq8Tq4cYw';
const TIMESTAMP = 1_767_225_600;
const BODY = '{"type":"email.sent","data":{"id":"em_1","subject":"Olá"}}';
const NOW = new Date(TIMESTAMP * 1000);

function expectedSignature(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(`${ID}.${TIMESTAMP}.${body}`, 'utf8').digest('base64');
}

function verify(overrides: Partial<Parameters<typeof verifySignature>[0]> = {}) {
  const header = signPayload({ id: ID, timestamp: TIMESTAMP, body: BODY, secrets: [SECRET] });
  return verifySignature({
    id: ID, timestamp: TIMESTAMP, body: BODY, header, secret: SECRET, now: NOW, ...overrides,
  });
}

describe('signPayload', () => {
  it('signs id, timestamp and body with the decoded secret key', () => {
    const header = signPayload({ id: ID, timestamp: TIMESTAMP, body: BODY, secrets: [SECRET] });

    expect(header).toBe(`v1,${expectedSignature(KEY, BODY)}`);
  });

  it('matches the example of the Standard Webhooks specification', () => {
    const header = signPayload({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    });

    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs bytes exactly as the same text', () => {
    const fromBytes = signPayload({
      id: ID, timestamp: TIMESTAMP, body: Buffer.from(BODY, 'utf8'), secrets: [SECRET],
    });

    expect(fromBytes).toBe(`v1,${expectedSignature(KEY, BODY)}`);
  });

  it('gives one v1 entry per secret during a rotation', () => {
    const header = signPayload({
      id: ID, timestamp: TIMESTAMP, body: BODY, secrets: [SECRET, OTHER_SECRET],
    });
    const otherKey = Buffer.from(OTHER_SECRET.slice('whsec_'.length), 'base64');

    expect(header.split(' ')).toEqual([
      `v1,${expectedSignature(KEY, BODY)}`,
      `v1,${expectedSignature(otherKey, BODY)}`,
    ]);
  });

  it('refuses no secret, a malformed secret and a timestamp in milliseconds', () => {
    const content = { id: ID, timestamp: TIMESTAMP, body: BODY };

    expect(() => signPayload({ ...content, secrets: [] })).toThrow(WebhookSecretError);
    expect(() => signPayload({ ...content, secrets: ['whsec_short'] })).toThrow(WebhookSecretError);
    expect(() => signPayload({ ...content, secrets: ['whsec_not base64!'] }))
      .toThrow(WebhookSecretError);
    expect(() => signPayload({ ...content, timestamp: TIMESTAMP * 1000, secrets: [SECRET] }))
      .toThrow(RangeError);
  });

  it('builds the three Standard Webhooks headers', () => {
    const headers = webhookHeaders({ id: ID, timestamp: TIMESTAMP, body: BODY, secrets: [SECRET] });

    expect(headers).toEqual({
      [WEBHOOK_ID_HEADER]: ID,
      [WEBHOOK_TIMESTAMP_HEADER]: String(TIMESTAMP),
      [WEBHOOK_SIGNATURE_HEADER]: `v1,${expectedSignature(KEY, BODY)}`,
    });
    expect(Object.keys(headers)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });
});

describe('generateSecret', () => {
  it('is whsec_ and the base64 of 32 random bytes, different every time', () => {
    const first = generateSecret();
    const second = generateSecret();

    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(first.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(second).not.toBe(first);
  });

  it('produces secrets that sign and verify', () => {
    const secret = generateSecret();
    const header = signPayload({ id: ID, timestamp: TIMESTAMP, body: BODY, secrets: [secret] });

    expect(verifySignature({ id: ID, timestamp: TIMESTAMP, body: BODY, header, secret, now: NOW }))
      .toBe(true);
  });
});

describe('verifySignature', () => {
  it('accepts the signature of the exact content, with the timestamp as a header string', () => {
    expect(verify()).toBe(true);
    expect(verify({ timestamp: String(TIMESTAMP) })).toBe(true);
  });

  it('rejects a tampered body, id or timestamp', () => {
    expect(verify({ body: BODY.replace('em_1', 'em_2') })).toBe(false);
    expect(verify({ body: `${BODY} ` })).toBe(false);
    expect(verify({ id: 'msg_other' })).toBe(false);
    expect(verify({ timestamp: TIMESTAMP + 1, now: NOW })).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    expect(verify({ secret: OTHER_SECRET })).toBe(false);
  });

  it('rejects timestamps outside the tolerance, in the past or the future', () => {
    expect(verify({ now: new Date((TIMESTAMP + 300) * 1000) })).toBe(true);
    expect(verify({ now: new Date((TIMESTAMP + 301) * 1000) })).toBe(false);
    expect(verify({ now: new Date((TIMESTAMP - 301) * 1000) })).toBe(false);
    expect(verify({ now: new Date((TIMESTAMP + 30) * 1000), toleranceSeconds: 10 })).toBe(false);
  });

  it('accepts either secret while both sign during a rotation', () => {
    const header = signPayload({
      id: ID, timestamp: TIMESTAMP, body: BODY, secrets: [OTHER_SECRET, SECRET],
    });
    const content = { id: ID, timestamp: TIMESTAMP, body: BODY, header, now: NOW };

    expect(verifySignature({ ...content, secret: SECRET })).toBe(true);
    expect(verifySignature({ ...content, secret: OTHER_SECRET })).toBe(true);
    expect(verifySignature({ ...content, secret: generateSecret() })).toBe(false);
  });

  it.each([
    ['an empty header', ''],
    ['another version', `v2,${expectedSignature(KEY, BODY)}`],
    ['a bare signature', expectedSignature(KEY, BODY)],
    ['a truncated signature', `v1,${expectedSignature(KEY, BODY).slice(0, 20)}`],
    ['a signature that is not base64', 'v1,!!!!'],
  ])('rejects %s', (_name, header) => {
    expect(verifySignature({
      id: ID, timestamp: TIMESTAMP, body: BODY, header, secret: SECRET, now: NOW,
    })).toBe(false);
  });

  it('rejects a timestamp that is not whole unix seconds', () => {
    expect(verify({ timestamp: '1767225600.5' })).toBe(false);
    expect(verify({ timestamp: String(TIMESTAMP * 1000) })).toBe(false);
  });

  it('throws for a secret that is not a webhook secret', () => {
    expect(() => verify({ secret: 'hunter2' })).toThrow(WebhookSecretError);
  });
});
