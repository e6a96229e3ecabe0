import { Hono } from 'hono';

import { listDevMessages, readDevMessage } from '../../../local/dev-mailbox.js';
import { ApiError } from '../../../shared/errors/api-error.js';

/**
 * Local mode only: what the development relay received, so a developer can see the mail
 * that would have gone out. Never mounted in AWS (no mailbox folder is configured there).
 */
export function devMailboxRoutes(dir: string): Hono {
  const routes = new Hono();

  routes.get('/', async (c) => c.json({ data: await listDevMessages(dir) }));

  routes.get('/:id', async (c) => {
    const raw = await readDevMessage(dir, c.req.param('id'));
    if (!raw) throw new ApiError('not_found', 'No such message in the development mailbox.');
    return c.body(new Uint8Array(raw), 200, { 'content-type': 'message/rfc822' });
  });

  return routes;
}
