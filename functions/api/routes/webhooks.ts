import { Hono } from 'hono';

import { ApiError } from '../../../shared/errors/api-error.js';
import { decodeEventCursor, type WebhookEventType } from '../../../shared/events/webhook-event.js';
import { isId, newId } from '../../../shared/ids/new-id.js';
import { decodeCursor, encodeCursor } from '../../../shared/schema/cursor.js';
import {
  CreateWebhookRequest, ListWebhooksQuery, ReplayWebhookRequest,
} from '../../../shared/schema/responses.js';
import { replayEvents } from '../../../shared/webhooks/replay-events.js';
import { retryWindowMs } from '../../../shared/webhooks/retry-schedule.js';
import { endpointView, type WebhookEndpoint } from '../../../shared/webhooks/webhook-endpoint.js';
import {
  ENDPOINT_SK, endpointListPk, endpointPk,
} from '../../../shared/webhooks/webhook-keys.js';
import { generateSecret } from '../../../shared/webhooks/webhook-signature.js';
import { checkWebhookUrl } from '../../../shared/webhooks/webhook-url-policy.js';
import type { ApiDeps } from '../api-deps.js';
import { readJsonBody } from '../read-json-body.js';
import { validationDetails } from '../validation-details.js';

/** Endpoints per account: each event's deliveries must fit one transaction with it. */
export const MAX_WEBHOOKS = 50;
/** Log entries shown on an endpoint's page. */
const LOG_ENTRIES = 20;
/** A rotation that raced another change is tried again this many times. */
const ROTATION_TRIES = 3;

/**
 * `/v1/webhooks`: endpoints that receive signed events. A URL is checked when it is
 * registered (and again at every delivery); the secret is shown once, at creation, and on
 * rotation. Nothing here logs a URL or a secret: URLs often carry a token of the receiver.
 */
export function webhookRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();
  const { config } = deps;
  const { endpoints } = deps.webhooks;
  const account = config.accountId;

  const find = async (id: string): Promise<WebhookEndpoint> => {
    const endpoint = isId('wh', id) ? await endpoints.get(account, id) : undefined;
    if (!endpoint) throw new ApiError('not_found', `No webhook with id ${JSON.stringify(id)}.`);
    return endpoint;
  };

  routes.post('/', async (c) => {
    const parsed = CreateWebhookRequest.safeParse(await readJsonBody(c));
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'The request body is not valid.',
        validationDetails(parsed.error));
    }

    const check = await checkWebhookUrl(parsed.data.url, {
      allowPrivate: config.allowPrivateWebhooks,
      resolve: deps.webhooks.resolveHost,
    });
    if (!check.ok) {
      throw new ApiError('validation_failed', 'The request body is not valid.',
        [{ path: 'url', message: check.reason }]);
    }
    const now = new Date().toISOString();
    const secret = generateSecret();
    const endpoint: WebhookEndpoint = {
      id: newId('wh'),
      accountId: account,
      url: check.url.href,
      events: [...new Set<WebhookEventType>(parsed.data.events)],
      status: 'enabled',
      createdAt: now,
      updatedAt: now,
      secrets: [{ secret, createdAt: now }],
    };
    const created = await endpoints.createWithin(endpoint, MAX_WEBHOOKS);
    if (created === 'limit_reached') {
      throw new ApiError('limit_reached', `An account has at most ${MAX_WEBHOOKS} webhooks.`);
    }
    if (created === 'busy') {
      throw new ApiError('conflict', 'Other webhooks were being created at the same moment; '
        + 'try again.');
    }

    deps.logger.info('webhook created', { webhookId: endpoint.id, host: check.url.host });
    return c.json({ ...endpointView(endpoint), secret }, 201);
  });

  routes.get('/', async (c) => {
    const parsed = ListWebhooksQuery.safeParse(c.req.query());
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'The query parameters are not valid.',
        validationDetails(parsed.error));
    }
    const { limit, cursor } = parsed.data;

    const page = await endpoints.list(account, {
      limit,
      ...(cursor ? {
        startKey: decodeCursor(cursor, (id) => (isId('wh', id) ? {
          pk: endpointPk(account, id), sk: ENDPOINT_SK, gsi1pk: endpointListPk(account), gsi1sk: id,
        } : undefined)),
      } : {}),
    });
    return c.json({
      data: page.endpoints.map(endpointView),
      nextCursor: encodeCursor(page.lastKey),
    });
  });

  routes.get('/:id', async (c) => {
    const endpoint = await find(c.req.param('id'));

    const log = await endpoints.recentLog(account, endpoint.id, LOG_ENTRIES);
    return c.json({ ...endpointView(endpoint), deliveryLog: log });
  });

  routes.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!isId('wh', id) || !(await endpoints.delete(account, id))) {
      throw new ApiError('not_found', `No webhook with id ${JSON.stringify(id)}.`);
    }

    deps.logger.info('webhook deleted', { webhookId: id });
    return c.body(null, 204);
  });

  routes.post('/:id/rotate-secret', async (c) => {
    const endpoint = await find(c.req.param('id'));

    const secret = generateSecret();
    for (let tries = 0; tries < ROTATION_TRIES; tries++) {
      const rotated = await endpoints.rotateSecret(account, endpoint.id, secret, new Date());
      if (rotated === undefined) throw new ApiError('not_found', 'The webhook no longer exists.');
      if (rotated) {
        deps.logger.info('webhook secret rotated', { webhookId: endpoint.id });
        return c.json({ secret });
      }
    }
    throw new ApiError('conflict', 'The webhook kept changing; try the rotation again.');
  });

  routes.post('/:id/replay', async (c) => {
    const endpoint = await find(c.req.param('id'));
    const parsed = ReplayWebhookRequest.safeParse(await readJsonBody(c));
    if (!parsed.success) {
      throw new ApiError('validation_failed', 'The request body is not valid.',
        validationDetails(parsed.error));
    }
    const afterId = decodeEventCursor(parsed.data.after);
    if (!afterId) {
      throw new ApiError('invalid_cursor', 'The cursor is not valid for this list.', [
        { path: 'after', message: 'use a cursor from an event or from GET /v1/events unchanged' },
      ]);
    }
    if (endpoint.status !== 'enabled') {
      throw new ApiError('conflict', 'The webhook is disabled; enable it before replaying.');
    }

    const result = await replayEvents({
      feed: deps.events,
      deliveries: deps.webhooks.deliveries,
      endpoint,
      afterId,
      retentionDays: config.retentionDays,
      retryWindowMs: retryWindowMs(config.webhookRetrySchedule),
    });
    await deps.webhooks.wakeup.nudge();

    deps.logger.info('webhook replay queued', { webhookId: endpoint.id, queued: result.queued });
    return c.json(result, 202);
  });

  routes.post('/:id/enable', async (c) => {
    const { id } = await find(c.req.param('id'));

    const endpoint = await endpoints.enable(account, id, new Date());
    if (!endpoint) throw new ApiError('not_found', 'The webhook no longer exists.');
    deps.logger.info('webhook enabled', { webhookId: id });
    return c.json(endpointView(endpoint));
  });

  return routes;
}
