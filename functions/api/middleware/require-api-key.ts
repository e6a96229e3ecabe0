import { createHash, timingSafeEqual } from 'node:crypto';

import type { MiddlewareHandler } from 'hono';

import { ApiError } from '../../../shared/errors/api-error.js';

const API_KEY_REQUIRED = 'A valid API key is required: Authorization: Bearer <key>.';

/**
 * `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests in constant time, so
 * neither the length nor a prefix of the key leaks through response timing. `refusal` names
 * the key this route takes; it never contains the key given or expected.
 */
export function requireApiKey(
  getKey: () => string,
  refusal = API_KEY_REQUIRED,
): MiddlewareHandler {
  return async function requireApiKey(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !sameSecret(match[1], getKey())) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new ApiError('unauthorized', refusal);
    }
    await next();
  };
}

export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
