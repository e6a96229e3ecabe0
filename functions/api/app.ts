import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';

import { ApiError } from '../../shared/errors/api-error.js';
import type { ApiDeps } from './api-deps.js';
import { requireApiKey } from './middleware/require-api-key.js';
import { devMailboxRoutes } from './routes/dev-mailbox.js';
import { emailRoutes } from './routes/emails.js';
import { eventRoutes } from './routes/events.js';
import { inboundRoutes, reportRoutes } from './routes/inbound.js';
import { suppressionRoutes } from './routes/suppressions.js';
import { webhookRoutes } from './routes/webhooks.js';

/** The largest request body accepted, stated in the README: 5 MiB. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export function createApp(deps: ApiDeps): Hono {
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.toBody(), error.status);

    deps.logger.error('request failed', {
      method: c.req.method,
      path: c.req.path,
      error: { name: error.name, message: error.message, stack: error.stack },
    });
    const internal = new ApiError('internal_error', 'Something went wrong on our side.');
    return c.json(internal.toBody(), 500);
  });

  app.notFound((c) => {
    const error = new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}.`);
    return c.json(error.toBody(), 404);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // Bounce intake has its own key; everything else under /v1 takes the API key.
  const apiKey = requireApiKey(() => deps.config.apiKey);
  app.use('/v1/*', (c, next) => (c.req.path.startsWith('/v1/inbound/') ? next() : apiKey(c, next)));
  app.use('/v1/*', bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError('payload_too_large',
        `The request body is larger than ${MAX_BODY_BYTES} bytes (5 MiB).`);
    },
  }));
  app.route('/v1/emails', emailRoutes(deps));
  app.route('/v1/events', eventRoutes(deps));
  app.route('/v1/suppressions', suppressionRoutes(deps));
  app.route('/v1/inbound', inboundRoutes(deps));
  app.route('/v1/reports', reportRoutes(deps));
  app.route('/v1/webhooks', webhookRoutes(deps));

  if (deps.config.devMailboxDir) {
    app.use('/dev/*', requireApiKey(() => deps.config.apiKey));
    app.route('/dev/messages', devMailboxRoutes(deps.config.devMailboxDir));
  }

  return app;
}
