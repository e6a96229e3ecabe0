import { Hono } from 'hono';

import { ApiError } from '../../../shared/errors/api-error.js';
import { decodeEventCursor, encodeEventCursor } from '../../../shared/events/webhook-event.js';
import { ListEventsQuery } from '../../../shared/schema/responses.js';
import type { ApiDeps } from '../api-deps.js';
import { validationDetails } from '../validation-details.js';

/**
 * `GET /v1/events?after=<cursor>`: every event of the account in order. A consumer that was
 * down keeps the last cursor it saw and pages from it; events show here once they have
 * settled (see FEED_SETTLE_MS), so a page never skips one that commits later.
 */
export function eventRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();

  routes.get('/', async (c) => {
    const parsed = ListEventsQuery.safeParse(c.req.query());
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'The query parameters are not valid.',
        validationDetails(parsed.error));
    }
    const { after, since, limit } = parsed.data;
    const now = Date.now();
    const afterId = after === undefined ? undefined : decodeEventCursor(after, now);
    if (after !== undefined && !afterId) {
      throw new ApiError('invalid_cursor', 'The cursor is not valid for this list.', [
        { path: 'after', message: 'use a cursor from an event or a previous page unchanged' },
      ]);
    }

    const oldest = now - deps.config.retentionDays * 86_400_000;
    const page = await deps.events.list(deps.config.accountId, {
      ...(afterId ? { afterId } : {}),
      fromTime: since ? Date.parse(since) : oldest,
      notBefore: oldest,
      limit,
      now,
    });
    const next = page.position;
    return c.json({ data: page.events, nextCursor: next ? encodeEventCursor(next) : null });
  });

  return routes;
}
