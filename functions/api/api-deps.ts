import type { Config } from '../../shared/config/config.js';
import type { EventFeed } from '../../shared/events/event-feed.js';
import type { Logger } from '../../shared/log/logger.js';
import type { SendQueue } from '../../shared/queue/send-queue.js';
import type { EmailStore } from '../../shared/store/email-store.js';

/** What the API routes need; built once per process (or per Lambda container). */
export interface ApiDeps {
  config: Config;
  store: EmailStore;
  events: EventFeed;
  queue: SendQueue;
  logger: Logger;
}
