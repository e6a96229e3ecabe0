/**
 * Where webhook items live. An endpoint, its deliveries and its delivery log share one
 * partition, so the endpoint's page reads its log with one query and nothing of another
 * account is reachable through its keys.
 *
 * | item          | pk                      | sk                           | index           |
 * | ------------- | ----------------------- | ---------------------------- | --------------- |
 * | endpoint      | A#<acct>#W#<endpointId> | W                            | gsi1 A#<acct>#W |
 * | delivery      | A#<acct>#W#<endpointId> | D#<eventId>, D#<eventId>#<r> | gsi2 whd#<n>    |
 * | log entry     | A#<acct>#W#<endpointId> | L#<time>#<eventId>#<attempt> |                 |
 * | counter       | A#<acct>#WN             | N                            |                 |
 *
 * gsi2 holds a delivery only while it waits for an attempt: pk `whd#<shard>`, sk
 * `<due time>#<endpointId>#<eventId>`, read oldest first by the deliverer.
 */
export const DELIVERY_DUE_SHARDS = 2;

export const ENDPOINT_SK = 'W';
export const DELIVERY_PREFIX = 'D#';
export const LOG_PREFIX = 'L#';

export const endpointPk = (accountId: string, endpointId: string) =>
  `A#${accountId}#W#${endpointId}`;
export const endpointListPk = (accountId: string) => `A#${accountId}#W`;
/** How many endpoints the account has, kept with every creation and deletion. */
export const endpointCounterPk = (accountId: string) => `A#${accountId}#WN`;
export const COUNTER_SK = 'N';

/** A replayed delivery gets its own key, so it never collides with the first one. */
export const deliverySk = (eventId: string, replay?: string) =>
  `${DELIVERY_PREFIX}${eventId}${replay ? `#${replay}` : ''}`;

export const logSk = (at: string, suffix: string) => `${LOG_PREFIX}${at}#${suffix}`;

export function deliveryDueShard(endpointId: string, eventId: string): string {
  let hash = 0;
  for (const char of endpointId + eventId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `whd#${hash % DELIVERY_DUE_SHARDS}`;
}

export const deliveryDueSk = (due: string, endpointId: string, eventId: string) =>
  `${due}#${endpointId}#${eventId}`;
