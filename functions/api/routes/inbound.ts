import { Hono } from 'hono';

import { ingestReport } from '../../../shared/bounces/ingest-report.js';
import {
  RAW_REPORT_LIMIT_BYTES, type StoredReport,
} from '../../../shared/bounces/report-store.js';
import { ApiError } from '../../../shared/errors/api-error.js';
import type { ApiDeps } from '../api-deps.js';
import { requireApiKey } from '../middleware/require-api-key.js';

/**
 * `POST /v1/inbound/dsn`: bounce and complaint reports, as raw RFC 5322 messages. It has
 * its own key (MAILROOM_INBOUND_KEY), meant for the mail system that forwards bounces, so
 * that credential cannot send email.
 */
export function inboundRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();
  const inboundKey = deps.config.inboundKey;

  routes.use('*', async (c, next) => {
    if (!inboundKey) {
      throw new ApiError('not_found',
        'Bounce intake is off: set MAILROOM_INBOUND_KEY to turn it on.');
    }
    await next();
  });
  routes.use('*', requireApiKey(() => inboundKey ?? '', 'A valid inbound key is required: '
    + 'Authorization: Bearer <MAILROOM_INBOUND_KEY>. The API key is not accepted here.'));

  routes.post('/dsn', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'message/rfc822') {
      throw new ApiError('unsupported_media_type', 'Send the report as message/rfc822.');
    }
    const raw = Buffer.from(await c.req.arrayBuffer());
    if (raw.length === 0) {
      throw new ApiError('validation_failed', 'The report is empty.', [
        { path: '(body)', message: 'send the whole report message' },
      ]);
    }

    const report = await ingestReport(raw, intakeDeps(deps));
    if (report.status === 'applied') await deps.webhooks.wakeup.nudgeSoon();
    return c.json(reportView(report), 202);
  });

  return routes;
}

/** Reading what arrived: operators use the API key. */
export function reportRoutes(deps: ApiDeps): Hono {
  const routes = new Hono();

  routes.get('/:id', async (c) => {
    const report = await deps.reports.get(deps.config.accountId, c.req.param('id'));
    if (!report) throw new ApiError('not_found', 'No such report.');
    return c.json({
      ...reportView(report),
      raw: report.raw,
      rawBytes: report.rawBytes,
      rawTruncated: report.rawTruncated ?? report.rawBytes > RAW_REPORT_LIMIT_BYTES,
    });
  });

  return routes;
}

export function intakeDeps(deps: ApiDeps) {
  return {
    store: deps.store,
    reports: deps.reports,
    logger: deps.logger,
    accountId: deps.config.accountId,
    retentionDays: deps.config.retentionDays,
    ...(deps.config.bounceDomain ? { bounceDomain: deps.config.bounceDomain } : {}),
  };
}

function reportView(report: StoredReport) {
  return {
    id: report.id,
    status: report.status,
    kind: report.kind,
    receivedAt: report.receivedAt,
    ...(report.emailId ? { emailId: report.emailId } : {}),
    recipients: report.recipients,
    ...(report.recipientsOmitted ? { recipientsOmitted: report.recipientsOmitted } : {}),
    problems: report.problems,
  };
}
