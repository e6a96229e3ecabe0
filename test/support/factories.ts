import type { TransactionResult } from '../../shared/smtp/smtp-session.js';
import { parseReply } from '../../shared/smtp/reply.js';
import type { EmailRecord } from '../../shared/store/email-record.js';

/** Builders for test inputs: sensible defaults, overridden per test. */
export function emailRecord(overrides: Partial<EmailRecord> = {}): EmailRecord {
  const createdAt = overrides.createdAt ?? '2026-01-01T00:00:00.000Z';
  const addresses = ['ana.lima@example.org', 'jun.park@example.org'];
  return {
    accountId: 'acct_default',
    id: 'em_01jq3v6c8e2b7x4n5p6q7r8s9t',
    messageId: '<em_01jq3v6c8e2b7x4n5p6q7r8s9t@example.com>',
    status: 'sending',
    from: 'Example Shop <orders@example.com>',
    to: addresses,
    cc: [],
    bcc: [],
    replyTo: [],
    subject: 'Hello',
    tags: {},
    recipients: addresses.map((address) => ({
      address,
      field: 'to' as const,
      status: 'queued' as const,
      updatedAt: createdAt,
    })),
    createdAt,
    updatedAt: createdAt,
    attempts: 1,
    contentChunks: 1,
    expiresAt: 2_000_000_000,
    ...overrides,
  };
}

export const reply = (line: string) => parseReply(line);

export function transaction(
  rcpts: Array<[string, string]>,
  dataReply?: string,
  overrides: Partial<TransactionResult> = {},
): TransactionResult {
  return {
    relay: 'relay-a',
    mailReply: reply('250 2.1.0 Ok'),
    recipients: rcpts.map(([address, line]) => {
      const parsed = reply(line);
      return { address, reply: parsed, accepted: parsed.code < 300 };
    }),
    ...(dataReply ? { dataReply: reply(dataReply) } : {}),
    finalDotWritten: dataReply !== undefined,
    durationMs: 12,
    ...overrides,
  };
}
