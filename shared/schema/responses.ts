import { z } from 'zod';

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
});

export const ListEventsQuery = z.strictObject({
  after: z.string().max(200).optional().meta({
    description: 'A cursor from an event or from `nextCursor`; events after it are listed.',
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
    description: 'Pass as `after` to continue; stays the same while nothing new has settled.',
  }),
}).meta({ id: 'EventList' });

export const SuppressionView = z.object({
  address: z.string(),
  reason: z.enum(['hard_bounce', 'complaint', 'manual']),
  emailId: z.string().optional().meta({ description: 'The email whose report added it.' }),
  detail: z.string().optional(),
  createdAt: z.string(),
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
  recipients: z.array(z.object({ address: z.string(), action: z.string(), outcome: z.string() })),
  problems: z.array(z.string()),
}).meta({ id: 'InboundReport' });
