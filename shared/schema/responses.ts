import { z } from 'zod';

import { WEBHOOK_EVENT_TYPES } from '../events/webhook-event.js';
import { EMAIL_STATUSES, RECIPIENT_STATUSES } from '../store/email-record.js';

/** Response bodies, described once for the OpenAPI document and for the route code. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().meta({ example: 'validation_failed' }),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
}).meta({ id: 'Error' });

export const Accepted = z.object({
  id: z.string().meta({ example: 'em_01jq3v6c8e2b7x4n5p6q7r8s9t' }),
  status: z.literal('queued'),
}).meta({ id: 'Accepted' });

const smtpDetail = {
  relay: z.string().optional(),
  replyCode: z.number().int().optional(),
  enhancedStatus: z.string().optional(),
  reply: z.string().optional().meta({ description: 'The relay\'s reply line.' }),
  queueId: z.string().optional().meta({ description: 'The relay\'s queue id for the message.' }),
};

export const RecipientView = z.object({
  address: z.string(),
  field: z.enum(['to', 'cc', 'bcc']),
  status: z.enum(RECIPIENT_STATUSES),
  reason: z.string().optional(),
  ...smtpDetail,
  updatedAt: z.string(),
}).meta({ id: 'Recipient' });

export const EventView = z.object({
  id: z.string(),
  type: z.string().meta({ example: 'sent' }),
  at: z.string(),
  recipients: z.array(z.string()).optional(),
  detail: z.object({
    ...smtpDetail,
    durationMs: z.number().optional(),
    reason: z.string().optional(),
    attempt: z.number().int().optional(),
    failedOver: z.array(z.object({
      relay: z.string(),
      phase: z.string(),
      replyCode: z.number().int().optional(),
      reply: z.string().optional(),
    })).optional().meta({
      description: 'On an attempt: relays that failed first in it and handed the email on.',
    }),
  }).optional(),
}).meta({ id: 'Event' });

export const EmailSummary = z.object({
  id: z.string(),
  status: z.enum(EMAIL_STATUSES),
  messageId: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  replyTo: z.array(z.string()),
  subject: z.string(),
  tags: z.record(z.string(), z.string()),
  attempts: z.number().int(),
  nextAttemptAt: z.string().optional(),
  reason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  recipients: z.array(RecipientView),
}).meta({ id: 'EmailSummary' });

export const EmailView = EmailSummary.extend({
  events: z.array(EventView),
}).meta({ id: 'Email' });

export const EmailList = z.object({
  data: z.array(EmailSummary),
  nextCursor: z.string().nullable().meta({
    description: 'Pass as `cursor` to get the next page; null on the last page.',
  }),
}).meta({ id: 'EmailList' });

export const ListEmailsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2048).optional(),
  status: z.enum(EMAIL_STATUSES).optional(),
  tag: z.string().regex(/^[A-Za-z0-9_-]{1,64}:[\x20-\x7e]{0,256}$/, 'must be name:value')
    .optional(),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  createdBefore: z.iso.datetime({ offset: true }).optional(),
}).superRefine(({ createdAfter, createdBefore }, context) => {
  // Compared as instants (the offsets may differ). DynamoDB fails a BETWEEN whose bounds
  // are reversed, and an empty range can only be a mistake (often the names swapped).
  if (createdAfter && createdBefore && Date.parse(createdBefore) <= Date.parse(createdAfter)) {
    context.addIssue({
      code: 'custom',
      path: ['createdBefore'],
      message: 'must be later than createdAfter: the range is reversed or empty',
    });
  }
});

export const ListEventsQuery = z.strictObject({
  after: z.string().max(200).optional().meta({
    description: 'A cursor from an event or from `nextCursor`; events after it are listed. '
      + 'A cursor older than the retention period goes on from the oldest events kept.',
  }),
  since: z.iso.datetime({ offset: true }).optional().meta({
    description: 'Without a cursor, start at this time (default: the retention period ago).',
  }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const WebhookEventView = z.object({
  id: z.string().meta({ description: 'The same on every delivery of this event.' }),
  type: z.enum([
    'email.queued', 'email.sent', 'email.deferred', 'email.bounced', 'email.failed',
    'email.complained', 'email.suppressed', 'email.uncertain', 'email.delayed',
  ]),
  createdAt: z.string(),
  cursor: z.string(),
  data: z.object({
    emailId: z.string(),
    recipients: z.array(z.string()),
    tags: z.record(z.string(), z.string()),
    smtp: z.object({
      relay: z.string().optional(),
      replyCode: z.number().int().optional(),
      enhancedStatus: z.string().optional(),
      reply: z.string().optional(),
      queueId: z.string().optional(),
    }).optional(),
    reason: z.string().optional(),
    bounce: z.object({
      classification: z.string(),
      status: z.string().optional(),
      diagnosticCode: z.string().optional(),
    }).optional(),
  }),
}).meta({ id: 'WebhookEvent' });

export const EventList = z.object({
  data: z.array(WebhookEventView),
  nextCursor: z.string().nullable().meta({
    description: 'Pass as `after` to continue; stays the same while nothing new has settled. '
      + 'It may also move past days without events: an empty page whose `nextCursor` '
      + 'changed is not the end, call again.',
  }),
}).meta({ id: 'EventList' });

export const SuppressionView = z.object({
  address: z.string(),
  reason: z.enum(['hard_bounce', 'complaint', 'manual']),
  emailId: z.string().optional().meta({ description: 'The email whose report added it.' }),
  detail: z.string().optional(),
  createdAt: z.string().meta({ description: 'When the address was first put on the list.' }),
  updatedAt: z.string().meta({ description: 'When the entry last changed.' }),
}).meta({ id: 'Suppression' });

export const SuppressionList = z.object({
  data: z.array(SuppressionView),
  nextCursor: z.string().nullable(),
}).meta({ id: 'SuppressionList' });

export const ListSuppressionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2048).optional(),
});

export const PutSuppressionRequest = z.strictObject({
  detail: z.string().max(500).optional(),
}).meta({ id: 'PutSuppressionRequest' });

export const InboundReportView = z.object({
  id: z.string(),
  status: z.enum(['applied', 'unmatched', 'unparsed', 'ignored']),
  kind: z.string(),
  receivedAt: z.string(),
  emailId: z.string().optional(),
  recipients: z.array(z.object({ address: z.string(), action: z.string(), outcome: z.string() }))
    .meta({ description: 'The first 100 recipients the report names.' }),
  recipientsOmitted: z.number().int().optional().meta({
    description: 'How many more recipients the report names.',
  }),
  problems: z.array(z.string()),
  raw: z.string().optional().meta({
    description: 'Only when reading a report: the start of the message as received, as text '
      + 'of at most 300,000 bytes.',
  }),
  rawBytes: z.number().int().optional().meta({
    description: 'Only when reading a report: the size of the message as received.',
  }),
  rawTruncated: z.boolean().optional().meta({
    description: 'Only when reading a report: true when `raw` holds only the start.',
  }),
}).meta({ id: 'InboundReport' });

export const MAX_WEBHOOK_URL_CHARS = 2048;

export const CreateWebhookRequest = z.strictObject({
  url: z.string().min(1).max(MAX_WEBHOOK_URL_CHARS).meta({
    description: 'Where events are posted: an https URL on a public host (http and private '
      + 'addresses only when the server allows private webhooks, for local development).',
    example: 'https://hooks.example.com/mailroom',
  }),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(50).meta({
    description: 'The event types to receive; repeated entries count once.',
  }),
}).meta({ id: 'CreateWebhookRequest' });

export const WebhookView = z.object({
  id: z.string().meta({ example: 'wh_01jq3v6c8e2b7x4n5p6q7r8s9t' }),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  status: z.enum(['enabled', 'disabled']),
  createdAt: z.string(),
  updatedAt: z.string(),
  disabledAt: z.string().optional(),
  disabledReason: z.string().optional().meta({
    description: 'Why deliveries stopped; `POST /v1/webhooks/{id}/enable` starts them again.',
  }),
}).meta({ id: 'Webhook' });

export const CreatedWebhook = WebhookView.extend({
  secret: z.string().meta({
    description: 'Signs every request (Standard Webhooks). Shown only here and when rotated.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).meta({ id: 'CreatedWebhook' });

export const WebhookLogEntry = z.object({
  at: z.string(),
  kind: z.enum(['attempt', 'disabled', 'enabled']),
  eventId: z.string().optional(),
  eventType: z.enum(WEBHOOK_EVENT_TYPES).optional(),
  attempt: z.number().int().optional().meta({ description: '1 for the first attempt.' }),
  ok: z.boolean().optional(),
  statusCode: z.number().int().optional().meta({ description: 'The receiver\'s HTTP status.' }),
  error: z.string().optional().meta({
    description: 'What went wrong, in our words; nothing the receiver sent is kept.',
  }),
  durationMs: z.number().int().optional(),
  reason: z.string().optional(),
}).meta({ id: 'WebhookLogEntry' });

export const WebhookDetail = WebhookView.extend({
  deliveryLog: z.array(WebhookLogEntry).meta({
    description: 'The latest attempts and status changes, newest first (kept for 7 days).',
  }),
}).meta({ id: 'WebhookDetail' });

export const WebhookList = z.object({
  data: z.array(WebhookView),
  nextCursor: z.string().nullable(),
}).meta({ id: 'WebhookList' });

export const ListWebhooksQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2048).optional(),
});

export const WebhookSecret = z.object({
  secret: z.string().meta({ description: 'The new secret; the previous ones sign for 24 h.' }),
}).meta({ id: 'WebhookSecret' });

export const ReplayWebhookRequest = z.strictObject({
  after: z.string().min(1).max(200).meta({
    description: 'An event cursor (from a webhook payload or `GET /v1/events`); the events '
      + 'after it are sent again.',
  }),
}).meta({ id: 'ReplayWebhookRequest' });

export const ReplayWebhookResult = z.object({
  queued: z.number().int().meta({ description: 'Deliveries made by this call (at most 1000).' }),
  nextCursor: z.string().nullable().meta({
    description: 'Pass as `after` to replay the rest; null when every settled event is queued.',
  }),
}).meta({ id: 'ReplayWebhookResult' });
