import type { WebhookEventType } from '../events/webhook-event.js';

/** A subscriber: where events go, which ones, and the secrets that sign them. */
export interface WebhookEndpoint {
  id: string;
  accountId: string;
  /** The URL as the WHATWG parser serialises it: what was checked is what is called. */
  url: string;
  events: WebhookEventType[];
  status: EndpointStatus;
  createdAt: string;
  updatedAt: string;
  /** Newest first; a replaced secret keeps an expiry and signs until then. */
  secrets: EndpointSecret[];
  disabledAt?: string;
  disabledReason?: string;
  /** When the current run of failed attempts began; absent after any success. */
  failingSince?: string;
}

export type EndpointStatus = 'enabled' | 'disabled';

export interface EndpointSecret {
  secret: string;
  createdAt: string;
  expiresAt?: string;
}

/** How long a replaced secret keeps signing, so receivers can switch without a gap. */
export const SECRET_OVERLAP_MS = 24 * 3600_000;
/** Replaced secrets kept at once; rotating more often drops the oldest overlap early. */
const MAX_PREVIOUS_SECRETS = 4;

/** Every secret that signs a request sent at `now`, newest first. */
export function activeSecrets(endpoint: WebhookEndpoint, now: Date): string[] {
  return endpoint.secrets
    .filter((entry) => !entry.expiresAt || Date.parse(entry.expiresAt) > now.getTime())
    .map((entry) => entry.secret);
}

/** The secrets after a rotation: the new one first, the others expiring within a day. */
export function rotatedSecrets(
  secrets: EndpointSecret[],
  secret: string,
  now: Date,
): EndpointSecret[] {
  const overlapEnd = new Date(now.getTime() + SECRET_OVERLAP_MS).toISOString();
  const previous = secrets
    .filter((entry) => !entry.expiresAt || Date.parse(entry.expiresAt) > now.getTime())
    .map((entry) => ({
      ...entry,
      expiresAt: entry.expiresAt && entry.expiresAt < overlapEnd ? entry.expiresAt : overlapEnd,
    }))
    .slice(0, MAX_PREVIOUS_SECRETS);
  return [{ secret, createdAt: now.toISOString() }, ...previous];
}

/** What the API shows of an endpoint: everything but its secrets and bookkeeping. */
export function endpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    status: endpoint.status,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
    ...(endpoint.disabledAt ? { disabledAt: endpoint.disabledAt } : {}),
    ...(endpoint.disabledReason ? { disabledReason: endpoint.disabledReason } : {}),
  };
}
