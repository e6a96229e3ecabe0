import type { PostTarget } from './post-emails.js';
import { sleep } from './sleep.js';

export interface StatusCheck {
  checked: number;
  /** How many of the checked emails are in each status (by the deadline). */
  byStatus: Record<string, number>;
}

const RETRY_MS = 250;

/**
 * Reads a sample of emails (evenly spread over `ids`) through GET /v1/emails/{id} until
 * each one reports `sent`, or until `deadline`; the sink's 250 comes a moment before the
 * worker records it.
 */
export async function verifyStatuses(
  target: PostTarget,
  ids: readonly string[],
  sample: number,
  deadline: number,
): Promise<StatusCheck> {
  const step = Math.max(1, Math.floor(ids.length / sample));
  const chosen = ids.filter((_, index) => index % step === 0).slice(0, sample);
  const status = new Map<string, string>();

  for (;;) {
    const open = chosen.filter((id) => status.get(id) !== 'sent');
    for (const id of open) status.set(id, await readStatus(target, id));
    if (chosen.every((id) => status.get(id) === 'sent') || Date.now() >= deadline) break;
    await sleep(RETRY_MS);
  }

  const byStatus: Record<string, number> = {};
  for (const value of status.values()) byStatus[value] = (byStatus[value] ?? 0) + 1;
  return { checked: chosen.length, byStatus };
}

async function readStatus(target: PostTarget, id: string): Promise<string> {
  try {
    const response = await fetch(new URL(`/v1/emails/${id}`, target.url), {
      headers: target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) return `HTTP ${response.status}`;
    return String(((await response.json()) as { status?: unknown }).status);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}
