import { Hono } from 'hono';

import { acceptEmail } from '../../../shared/emails/accept-email.js';
import { hashRequest, parseIdempotencyKey } from '../../../shared/emails/idempotency.js';
import { ApiError } from '../../../shared/errors/api-error.js';
import { idFloor, isId } from '../../../shared/ids/new-id.js';
import { decodeCursor, encodeCursor, type KeyAt } from '../../../shared/schema/cursor.js';
import { ListEmailsQuery } from '../../../shared/schema/responses.js';
import { SendEmailRequest } from '../../../shared/schema/send-email-request.js';
import { EMAIL_SK, emailListPk, emailPk } from '../../../shared/store/keys.js';
import type { ApiDeps } from '../api-deps.js';
import { emailSummary, emailView } from '../email-view.js';
import { readJsonBody } from '../read-json-body.js';
import { validationDetails } from '../validation-details.js';

export function emailRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();
  const { config } = deps;

  routes.post('/', async (c) => {
    const body = await readJsonBody(c);
    const parsed = SendEmailRequest.safeParse(body);
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'The request body is not valid.',
        validationDetails(parsed.error));
    }

    const key = parseIdempotencyKey(c.req.header('idempotency-key'));
    const accepted = await acceptEmail(parsed.data, {
      store: deps.store,
      queue: deps.queue,
      logger: deps.logger,
      settings: {
        accountId: config.accountId,
        ...(config.messageIdDomain ? { messageIdDomain: config.messageIdDomain } : {}),
        retentionDays: config.retentionDays,
      },
    }, key === undefined ? undefined : {
      key,
      requestHash: hashRequest(body),
      hours: config.idempotencyHours,
    });

    if (accepted.replayed) {
      c.header('Idempotent-Replayed', 'true');
    } else {
      deps.logger.info('email accepted', { emailId: accepted.emailId });
      await deps.webhooks.wakeup.nudgeSoon();
    }
    return c.json({ id: accepted.emailId, status: 'queued' as const }, 202);
  });

  routes.get('/:id', async (c) => {
    const id = c.req.param('id');
    const found = isId('em', id) ? await deps.store.get(config.accountId, id) : undefined;
    if (!found) throw new ApiError('not_found', `No email with id ${JSON.stringify(id)}.`);
    return c.json(emailView(found.email, found.events));
  });

  routes.get('/', async (c) => {
    const parsed = ListEmailsQuery.safeParse(c.req.query());
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'The query parameters are not valid.',
        validationDetails(parsed.error));
    }
    const query = parsed.data;
    const [tagName, ...tagValue] = query.tag?.split(':') ?? [];
    const range = {
      ...(query.createdAfter ? { from: idFloor('em', Date.parse(query.createdAfter)) } : {}),
      ...(query.createdBefore ? { until: idFloor('em', Date.parse(query.createdBefore)) } : {}),
    };

    const page = await deps.store.list(config.accountId, {
      limit: query.limit,
      ...(query.cursor ? {
        startKey: decodeCursor(query.cursor, emailKeyAt(config.accountId, range)),
      } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(tagName ? { tag: { name: tagName, value: tagValue.join(':') } } : {}),
      idRange: range,
    });

    return c.json({ data: page.emails.map(emailSummary), nextCursor: encodeCursor(page.lastKey) });
  });

  return routes;
}

/**
 * Where a listed email sits. A start key outside the query's id range fails the query, so a
 * cursor from a page with other `createdAfter`/`createdBefore` bounds is refused here.
 */
function emailKeyAt(accountId: string, range: { from?: string; until?: string }): KeyAt {
  return (id) => {
    const inRange = (!range.from || id >= range.from) && (!range.until || id <= range.until);
    if (!isId('em', id) || !inRange) return undefined;
    return { pk: emailPk(accountId, id), sk: EMAIL_SK, gsi1pk: emailListPk(accountId), gsi1sk: id };
  };
}
