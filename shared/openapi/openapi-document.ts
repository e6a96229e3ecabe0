import { z } from 'zod';

import { ERROR_STATUS, type ErrorCode } from '../errors/api-error.js';
import {
  ListEmailsQuery, ListEventsQuery, ListSuppressionsQuery, ListWebhooksQuery,
} from '../schema/responses.js';
import '../schema/send-email-request.js';

/**
 * The OpenAPI document, generated from the same zod schemas the routes validate with, so
 * the description cannot drift from the behaviour. `npm run openapi` writes openapi.yaml;
 * a test fails when the committed file differs from what this builds.
 */
type Operation = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: object) => ({ 'application/json': { schema } });

function errors(...codes: ErrorCode[]): Record<string, object> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, object> = {};
  for (const [status, list] of byStatus) {
    out[String(status)] = {
      description: `Error codes: ${list.map((code) => `\`${code}\``).join(', ')}.`,
      content: json(ref('Error')),
    };
  }
  return out;
}

function queryParameters(schema: z.ZodObject): object[] {
  const shape = z.toJSONSchema(schema, { io: 'input' }) as {
    properties: Record<string, object>;
    required?: string[];
  };
  return Object.entries(shape.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: shape.required?.includes(name) ?? false,
    schema: property,
  }));
}

const addressParameter = {
  name: 'address',
  in: 'path',
  required: true,
  description: 'The bare address, URL-encoded; the domain compares case-insensitively.',
  schema: { type: 'string' },
};

const webhookIdParameter = {
  name: 'id', in: 'path', required: true, schema: { type: 'string' },
};

const paths: Record<string, Record<string, Operation>> = {
  '/healthz': {
    get: {
      operationId: 'health',
      summary: 'Liveness check',
      security: [],
      responses: { 200: { description: 'The API is running.' } },
    },
  },
  '/v1/emails': {
    post: {
      operationId: 'sendEmail',
      summary: 'Accept an email for delivery',
      description: 'Stores the email and queues it. The response comes once the email is '
        + 'durably recorded; delivery happens afterwards. Request bodies are limited to '
        + '5 MiB.',
      parameters: [{
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Makes retries safe for 24 hours: the same key with the same body returns '
          + 'the first response (with `Idempotent-Replayed: true`) and creates nothing; the '
          + 'same key with another body is refused.',
        schema: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x20-\\x7e]+$' },
      }],
      requestBody: { required: true, content: json(ref('SendEmailRequest')) },
      responses: {
        202: { description: 'Accepted and queued.', content: json(ref('Accepted')) },
        ...errors('validation_failed', 'invalid_json', 'invalid_idempotency_key', 'unauthorized',
          'idempotency_key_reused', 'payload_too_large', 'unsupported_media_type',
          'internal_error'),
      },
    },
    get: {
      operationId: 'listEmails',
      summary: 'List emails, newest first',
      description: 'Filters apply within each page, so a page may hold fewer than `limit` '
        + 'emails while `nextCursor` still leads to more.',
      parameters: queryParameters(ListEmailsQuery),
      responses: {
        200: { description: 'One page of emails.', content: json(ref('EmailList')) },
        ...errors('validation_failed', 'invalid_cursor', 'unauthorized', 'internal_error'),
      },
    },
  },
  '/v1/events': {
    get: {
      operationId: 'listEvents',
      summary: 'Every event of the account, in order',
      description: 'Page with `after` set to the last cursor you processed. Events appear here '
        + '30 seconds after they happen (webhooks carry them at once), which guarantees that '
        + 'paging from a cursor never skips an event. One call reads at most 31 days of the '
        + 'feed, so a cursor far behind may take a few calls, some with empty pages.',
      parameters: queryParameters(ListEventsQuery),
      responses: {
        200: { description: 'Events after the cursor.', content: json(ref('EventList')) },
        ...errors('validation_failed', 'invalid_cursor', 'unauthorized', 'internal_error'),
      },
    },
  },
  '/v1/suppressions': {
    get: {
      operationId: 'listSuppressions',
      summary: 'Addresses Mailroom will not send to',
      parameters: queryParameters(ListSuppressionsQuery),
      responses: {
        200: { description: 'One page of the list.', content: json(ref('SuppressionList')) },
        ...errors('validation_failed', 'invalid_cursor', 'unauthorized', 'internal_error'),
      },
    },
  },
  '/v1/suppressions/{address}': {
    get: {
      operationId: 'getSuppression',
      summary: 'Whether an address is suppressed, and why',
      parameters: [addressParameter],
      responses: {
        200: { description: 'The entry.', content: json(ref('Suppression')) },
        ...errors('validation_failed', 'unauthorized', 'not_found', 'internal_error'),
      },
    },
    put: {
      operationId: 'putSuppression',
      summary: 'Suppress an address by hand',
      parameters: [addressParameter],
      requestBody: { required: true, content: json(ref('PutSuppressionRequest')) },
      responses: {
        200: { description: 'Already listed; updated.', content: json(ref('Suppression')) },
        201: { description: 'Added.', content: json(ref('Suppression')) },
        ...errors('validation_failed', 'invalid_json', 'unauthorized',
          'unsupported_media_type', 'internal_error'),
      },
    },
    delete: {
      operationId: 'deleteSuppression',
      summary: 'Take an address off the list',
      parameters: [addressParameter],
      responses: {
        204: { description: 'Removed.' },
        ...errors('validation_failed', 'unauthorized', 'not_found', 'internal_error'),
      },
    },
  },
  '/v1/inbound/dsn': {
    post: {
      operationId: 'receiveReport',
      summary: 'Hand in a bounce (DSN) or complaint (ARF) report',
      description: 'Authenticated with MAILROOM_INBOUND_KEY, not the API key. The body is the '
        + 'raw report message. Every report is kept, readable or not.',
      security: [{ inboundKey: [] }],
      requestBody: {
        required: true,
        content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } },
      },
      responses: {
        202: {
          description: 'Kept and applied where it matched.',
          content: json(ref('InboundReport')),
        },
        ...errors('validation_failed', 'unauthorized', 'not_found', 'payload_too_large',
          'unsupported_media_type', 'internal_error'),
      },
    },
  },
  '/v1/reports/{id}': {
    get: {
      operationId: 'getReport',
      summary: 'A received report, with what it changed and its raw text',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        200: { description: 'The report.', content: json(ref('InboundReport')) },
        ...errors('unauthorized', 'not_found', 'internal_error'),
      },
    },
  },
  '/v1/webhooks': {
    post: {
      operationId: 'createWebhook',
      summary: 'Register an endpoint for signed event deliveries',
      description: 'The URL must be https on a public host; it is resolved and every address '
        + 'checked now and again at each delivery, and redirects are never followed. The '
        + 'response carries the signing secret, which is not shown again. At most '
        + '50 endpoints per account.',
      requestBody: { required: true, content: json(ref('CreateWebhookRequest')) },
      responses: {
        201: { description: 'Registered and enabled.', content: json(ref('CreatedWebhook')) },
        ...errors('validation_failed', 'invalid_json', 'unauthorized', 'limit_reached',
          'unsupported_media_type', 'internal_error'),
      },
    },
    get: {
      operationId: 'listWebhooks',
      summary: 'List webhook endpoints, newest first',
      parameters: queryParameters(ListWebhooksQuery),
      responses: {
        200: { description: 'One page of endpoints.', content: json(ref('WebhookList')) },
        ...errors('validation_failed', 'invalid_cursor', 'unauthorized', 'internal_error'),
      },
    },
  },
  '/v1/webhooks/{id}': {
    get: {
      operationId: 'getWebhook',
      summary: 'An endpoint with its recent delivery log',
      parameters: [webhookIdParameter],
      responses: {
        200: { description: 'The endpoint.', content: json(ref('WebhookDetail')) },
        ...errors('unauthorized', 'not_found', 'internal_error'),
      },
    },
    delete: {
      operationId: 'deleteWebhook',
      summary: 'Remove an endpoint; its pending deliveries are dropped',
      parameters: [webhookIdParameter],
      responses: {
        204: { description: 'Removed.' },
        ...errors('unauthorized', 'not_found', 'internal_error'),
      },
    },
  },
  '/v1/webhooks/{id}/rotate-secret': {
    post: {
      operationId: 'rotateWebhookSecret',
      summary: 'Replace the signing secret',
      description: 'Requests carry a signature with the new secret and, for 24 hours, one '
        + 'with each previous secret too, so the receiver can switch without a gap.',
      parameters: [webhookIdParameter],
      responses: {
        200: { description: 'The new secret.', content: json(ref('WebhookSecret')) },
        ...errors('unauthorized', 'not_found', 'conflict', 'internal_error'),
      },
    },
  },
  '/v1/webhooks/{id}/replay': {
    post: {
      operationId: 'replayWebhook',
      summary: 'Send settled events after a cursor to this endpoint again',
      description: 'Makes a new delivery for every event of a subscribed type after the cursor, '
        + 'with the same event id (`webhook-id`). One call queues at most 1000 deliveries '
        + 'and reads at most 5000 events; `nextCursor` continues from where it stopped.',
      parameters: [webhookIdParameter],
      requestBody: { required: true, content: json(ref('ReplayWebhookRequest')) },
      responses: {
        202: { description: 'Queued.', content: json(ref('ReplayWebhookResult')) },
        ...errors('validation_failed', 'invalid_json', 'invalid_cursor', 'unauthorized',
          'not_found', 'conflict', 'unsupported_media_type', 'internal_error'),
      },
    },
  },
  '/v1/webhooks/{id}/enable': {
    post: {
      operationId: 'enableWebhook',
      summary: 'Enable an endpoint that was disabled after failing for days',
      parameters: [webhookIdParameter],
      responses: {
        200: { description: 'The endpoint, enabled.', content: json(ref('Webhook')) },
        ...errors('unauthorized', 'not_found', 'internal_error'),
      },
    },
  },
  '/v1/emails/{id}': {
    get: {
      operationId: 'getEmail',
      summary: 'An email with its outcome per recipient and its timeline',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        200: { description: 'The email.', content: json(ref('Email')) },
        ...errors('unauthorized', 'not_found', 'internal_error'),
      },
    },
  },
};

export function buildOpenApiDocument(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };

  const components: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))) {
    const { $schema: _ignored, ...rest } = schema;
    components[id] = rest;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Mailroom',
      version: '0.1.0',
      description: 'Send email over HTTP through your own authenticated SMTP relays.',
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'Local mode (npm start)' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        inboundKey: { type: 'http', scheme: 'bearer', description: 'MAILROOM_INBOUND_KEY' },
      },
      schemas: components,
    },
  };
}
