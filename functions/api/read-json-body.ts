import type { Context } from 'hono';

import { ApiError } from '../../shared/errors/api-error.js';

/** Requests are JSON; anything else is refused before it is read. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type.trim())) {
    throw new ApiError('unsupported_media_type', 'Send the request body as application/json.');
  }

  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('invalid_json', 'The request body is not valid JSON.');
  }
}
