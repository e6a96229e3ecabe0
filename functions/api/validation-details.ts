import type { z } from 'zod';

import type { ErrorDetail } from '../../shared/errors/api-error.js';

/** zod issues as `{path, message}` with paths written the way a caller reads them. */
export function validationDetails(error: z.ZodError): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    const path = [...issue.path];
    // A bad record key (a reserved header name, say) is reported by zod on the record;
    // naming the key itself tells the caller which one to fix.
    if (issue.code === 'invalid_key' && 'issues' in issue) {
      for (const inner of issue.issues) {
        details.push({ path: formatPath(path), message: inner.message });
      }
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        details.push({ path: formatPath([...path, key]), message: 'is not a known field' });
      }
      continue;
    }
    details.push({ path: formatPath(path), message: issue.message });
  }
  return details;
}

export function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(body)';
}
