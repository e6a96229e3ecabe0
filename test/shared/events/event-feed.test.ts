import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { EventFeed, MAX_FEED_DAYS } from '../../../shared/events/event-feed.js';
import { idFloor } from '../../../shared/ids/new-id.js';
import { EmailStore } from '../../../shared/store/email-store.js';
import { createTestTable, type TestTable } from '../../support/aws-test-env.js';
import { emailRecord } from '../../support/factories.js';

const DAY = 86_400_000;
const SETTLE = 30_000;
const NOW = Date.parse('2026-06-15T12:00:00Z');

describe('EventFeed.list, against DynamoDB Local', () => {
  let table: TestTable;
  let store: EmailStore;
  let feed: EventFeed;
  let accounts = 0;

  /** Each test writes to its own account, so feeds never see each other's events. */
  const account = () => `acct_feed${accounts++}`;
  let made = 0;
  // newId never goes back in time within a process; these events are made out of order.
  const eventId = (time: number) =>
    `${idFloor('ev', time).slice(0, -4)}${String(made++).padStart(4, '0')}`;
  const putEvent = async (
    accountId: string,
    time: number,
    expiresAt = 2_000_000_000,
  ): Promise<string> => {
    const id = eventId(time);
    const item = store.eventItem(emailRecord({ accountId, expiresAt }), {
      id, type: 'sent', at: new Date(time).toISOString(),
    });
    await store.documents.send(new PutCommand({ TableName: table.tableName, Item: item }));
    return id;
  };
  const queries = () => vi.mocked(store.documents.send).mock.calls
    .filter(([command]) => command instanceof QueryCommand).length;

  beforeAll(async () => {
    table = await createTestTable();
    store = new EmailStore(table.client, table.tableName);
    feed = new EventFeed(store.documents, table.tableName, SETTLE);
    vi.spyOn(store.documents, 'send');
  });
  afterAll(async () => {
    await table?.remove();
  });

  it('answers a cursor newer than the settle horizon with nothing, at its position', async () => {
    const acct = account();
    const fresh = await putEvent(acct, NOW - 2_000);

    const page = await feed.list(acct, { afterId: fresh, fromTime: 0, limit: 50, now: NOW });
    const since = await feed.list(acct, { fromTime: NOW - 5_000, limit: 50, now: NOW });

    expect(page).toEqual({ events: [], position: fresh, caughtUp: true });
    expect(since).toEqual({ events: [], caughtUp: true });
  });

  it('keeps its position while nothing new has settled in the current day', async () => {
    const acct = account();
    const settled = await putEvent(acct, NOW - 60_000);
    await putEvent(acct, NOW - 10_000);

    const page = await feed.list(acct, { afterId: settled, fromTime: 0, limit: 50, now: NOW });

    expect(page).toEqual({ events: [], position: settled, caughtUp: true });
  });

  it('goes on from the retention edge and past empty days, a bounded number per call', async () => {
    const acct = account();
    const notBefore = NOW - 100 * DAY;
    await putEvent(acct, NOW - 150 * DAY);
    const old = await putEvent(acct, NOW - 10 * DAY);
    const recent = await putEvent(acct, NOW - 60_000);
    await putEvent(acct, NOW - 5_000);
    const from1970 = idFloor('ev', Date.parse('1970-01-02T00:00:00Z'));

    const pages = [];
    let afterId = from1970;
    const before = queries();
    for (let call = 0; call < 10; call++) {
      const page = await feed.list(acct, { afterId, fromTime: 0, notBefore, limit: 50, now: NOW });
      pages.push(page);
      afterId = page.position!;
      if (page.caughtUp) break;
    }

    expect(pages.flatMap((page) => page.events.map((event) => event.id))).toEqual([old, recent]);
    expect(pages).toHaveLength(Math.ceil(101 / MAX_FEED_DAYS));
    expect(pages[0]).toMatchObject({ events: [], caughtUp: false });
    expect(pages[0]!.position! > from1970).toBe(true);
    expect(queries() - before).toBeLessThanOrEqual(pages.length * MAX_FEED_DAYS);
    expect(afterId).toBe(recent);
  });

  it('never passes an event that could still commit before the horizon', async () => {
    const acct = account();
    const midnight = Date.parse('2026-03-02T00:00:00Z');
    const before = await putEvent(acct, midnight - 60_000);
    const late = await putEvent(acct, midnight - 10);

    const early = await feed.list(acct, {
      afterId: before, fromTime: 0, limit: 50, now: midnight + 10_000,
    });
    const after = await feed.list(acct, {
      afterId: early.position!, fromTime: 0, limit: 50, now: midnight + SETTLE + 1,
    });

    expect(early).toEqual({ events: [], position: before, caughtUp: true });
    expect(after.events.map((event) => event.id)).toEqual([late]);
    // The day before midnight is now over and read: the next call starts after it.
    expect(after.position! >= late).toBe(true);
    expect(after.position! < idFloor('ev', midnight)).toBe(true);
  });

  it('pages through several days in order with a small limit, each event once', async () => {
    const acct = account();
    const ids = [];
    for (const daysAgo of [4, 4, 3, 1, 1, 0]) {
      ids.push(await putEvent(acct, NOW - daysAgo * DAY - 60_000));
    }

    const seen: string[] = [];
    let afterId: string | undefined;
    for (let call = 0; call < 10; call++) {
      const page = await feed.list(acct, {
        ...(afterId ? { afterId } : {}), fromTime: NOW - 5 * DAY, limit: 2, now: NOW,
      });
      seen.push(...page.events.map((event) => event.id));
      afterId = page.position;
      if (page.caughtUp) break;
    }

    expect(seen).toEqual(ids);
  });

  it('skips events whose email has expired, though TTL has not deleted them yet', async () => {
    const acct = account();
    await putEvent(acct, NOW - 3 * 60_000, Math.floor((NOW - 1_000) / 1000));
    const kept = await putEvent(acct, NOW - 2 * 60_000);

    const page = await feed.list(acct, { fromTime: NOW - DAY, limit: 50, now: NOW });

    expect(page.events.map((event) => event.id)).toEqual([kept]);
  });
});
