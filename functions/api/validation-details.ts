import { z } from 'zod';

import type { ErrorDetail } from '../../shared/errors/api-error.js';
import { issueMessage } from './issue-message.js';

// Every route that validates formats its issues here, so importing this module is what
// gives each parse the API's own messages for zod's generic issues.
z.config({ customError: issueMessage });

/** zod issues as `{path, message}` with paths written the way a caller reads them. */
export function validationDetails(error: z.ZodError): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  collect(error.issues, [], details);
  return details;
}

function collect(issues: z.core.$ZodIssue[], prefix: PropertyKey[], details: ErrorDetail[]) {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
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
    const meant = issue.code === 'invalid_union' ? meantOption(issue.errors) : undefined;
    if (meant) {
      collect(meant, path, details);
      continue;
    }
    details.push({ path: formatPath(path), message: issue.message });
  }
}

/**
 * Of a union's failed options (an address, or a list of addresses), the one whose type the
 * input has is the one the caller meant: its issues say what to fix ("at most 50
 * recipients"), where the union's own message could only list the accepted forms.
 */
function meantOption(options: z.core.$ZodIssue[][]): z.core.$ZodIssue[] | undefined {
  const sameType = options.filter((issues) => issues.length > 0 && !issues.some(
    (issue) => issue.code === 'invalid_type' && issue.path.length === 0,
  ));
  return sameType.length === 1 ? sameType[0] : undefined;
}

export function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(body)';
}
