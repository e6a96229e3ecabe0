import type { ReportStore } from '../../shared/bounces/report-store.js';
import type { Config } from '../../shared/config/config.js';
import type { EventFeed } from '../../shared/events/event-feed.js';
import type { Logger } from '../../shared/log/logger.js';
import type { SendQueue } from '../../shared/queue/send-queue.js';
import type { EmailStore } from '../../shared/store/email-store.js';
import type { SuppressionStore } from '../../shared/suppressions/suppression-store.js';
import type { DeliveryStore } from '../../shared/webhooks/delivery-store.js';
import type { EndpointStore } from '../../shared/webhooks/endpoint-store.js';
import type { HostResolver } from '../../shared/webhooks/webhook-url-policy.js';
import type { WebhookWakeup } from '../../shared/webhooks/webhook-wakeup.js';

/** What the API routes need; built once per process (or per Lambda container). */
export interface ApiDeps {
  config: Config;
  store: EmailStore;
  events: EventFeed;
  suppressions: SuppressionStore;
  reports: ReportStore;
  queue: SendQueue;
  logger: Logger;
  webhooks: WebhookApiDeps;
}

/** What the webhook routes need besides the rest. */
export interface WebhookApiDeps {
  endpoints: EndpointStore;
  deliveries: DeliveryStore;
  wakeup: WebhookWakeup;
  /** Resolves a receiver's host name when its URL is checked; tests answer for DNS. */
  resolveHost: HostResolver;
}
