import { Hono } from 'hono';
import { z } from 'zod';

import { parseMailbox } from '../../../shared/email/mailbox.js';
import { ApiError } from '../../../shared/errors/api-error.js';
import { decodeCursor, encodeCursor, type KeyAt } from '../../../shared/schema/cursor.js';
import { ListSuppressionsQuery, PutSuppressionRequest } from '../../../shared/schema/responses.js';
import { SUPPRESSION_SK, suppressionPk } from '../../../shared/suppressions/suppression-store.js';
import type { ApiDeps } from '../api-deps.js';
import { readJsonBody } from '../read-json-body.js';
import { validationDetails } from '../validation-details.js';

/** The suppression list: read it, add to it by hand, take an address off it. */
export function suppressionRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();
  const { accountId } = deps.config;

  routes.get('/', async (c) => {
    const query = parse(ListSuppressionsQuery, c.req.query(),
      'The query parameters are not valid.');
    const page = await deps.suppressions.list(accountId, query.limit, query.cursor
      ? decodeCursor(query.cursor, suppressionKeyAt(accountId))
      : undefined);
    return c.json({ data: page.suppressions, nextCursor: encodeCursor(page.lastKey) });
  });

  routes.get('/:address', async (c) => {
    const address = pathAddress(c.req.param('address'));
    const found = await deps.suppressions.get(accountId, address);
    if (!found) throw new ApiError('not_found', 'This address is not on the suppression list.');
    return c.json(found);
  });

  routes.put('/:address', async (c) => {
    const address = pathAddress(c.req.param('address'));
    const body = parse(PutSuppressionRequest, await readJsonBody(c),
      'The request body is not valid.');
    const entry = {
      address,
      reason: 'manual' as const,
      ...(body.detail ? { detail: body.detail } : {}),
      createdAt: new Date().toISOString(),
    };
    const created = await deps.suppressions.put(accountId, entry);
    const stored = await deps.suppressions.get(accountId, address);
    return c.json(stored ?? entry, created ? 201 : 200);
  });

  routes.delete('/:address', async (c) => {
    const address = pathAddress(c.req.param('address'));
    if (!(await deps.suppressions.delete(accountId, address))) {
      throw new ApiError('not_found', 'This address is not on the suppression list.');
    }
    return c.body(null, 204);
  });

  return routes;
}

/** Where a listed address sits: the store's gsi1 layout (`A#<acct>#S` / address). */
function suppressionKeyAt(accountId: string): KeyAt {
  return (address) => (address.includes('@') ? {
    pk: suppressionPk(accountId, address),
    sk: SUPPRESSION_SK,
    gsi1pk: `A#${accountId}#S`,
    gsi1sk: address,
  } : undefined);
}

function pathAddress(raw: string): string {
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Left as given: the address check below names the problem.
  }
  const parsed = parseMailbox(decoded);
  if (!parsed.ok || parsed.mailbox.name !== undefined || decoded.includes('<')) {
    throw new ApiError('validation_failed', 'The address in the path is not valid.', [
      { path: 'address', message: parsed.ok ? 'give the bare address' : parsed.reason },
    ]);
  }
  return parsed.mailbox.address;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, message: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError('validation_failed', message, validationDetails(parsed.error));
  }
  return parsed.data;
}
