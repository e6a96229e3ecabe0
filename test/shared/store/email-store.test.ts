import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { prepareEmail } from '../../../shared/emails/accept-email.js';
import { newId } from '../../../shared/ids/new-id.js';
import { EmailStore } from '../../../shared/store/email-store.js';
import { createTestTable, type TestTable } from '../../support/aws-test-env.js';

const SETTINGS = { accountId: 'acct', retentionDays: 1 };

describe('EmailStore, against DynamoDB Local', () => {
  let table: TestTable;
  let store: EmailStore;

  beforeAll(async () => {
    table = await createTestTable();
    store = new EmailStore(table.client, table.tableName);
  });
  afterAll(async () => {
    await table?.remove();
  });

  it('writes tags named after Object.prototype members, also from a record read back', async () => {
    const tags = JSON.parse('{"constructor":"y","toString":"z","hasOwnProperty":"w"}');
    const { record, content, event } = prepareEmail({
      from: 'orders@example.com', to: 'ana.lima@example.org', subject: 'Hi', text: 'Hi', tags,
    }, SETTINGS);
    await store.create(record, content, [event]);
    const readBack = await store.getRecord(record.accountId, record.id);
    const now = new Date().toISOString();

    const written = await store.recordOutcome(readBack!, undefined, {
      status: 'sent',
      recipients: record.recipients.map((r) => ({ ...r, status: 'sent' as const })),
    }, [{ id: newId('ev'), type: 'sent', at: now }], now);
    const found = await store.get(record.accountId, record.id);

    expect(written).toBe(true);
    expect(found?.email.tags).toEqual(tags);
    expect(found?.events.map((e) => e.type)).toEqual(['queued', 'sent']);
  });
});
