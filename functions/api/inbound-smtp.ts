import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

import { ingestReport, type IntakeDeps } from '../../shared/bounces/ingest-report.js';
import { MAX_BODY_BYTES } from './app.js';

/** The same limit as `POST /v1/inbound/dsn`; larger messages are not reports. */
const MAX_REPORT_BYTES = MAX_BODY_BYTES;

/**
 * Local mode only: bounce and complaint reports by SMTP on a loopback port, handed to the
 * same intake as `POST /v1/inbound/dsn`. It listens on 127.0.0.1 and needs neither TLS
 * nor AUTH there; in AWS, reports arrive over HTTPS instead.
 */
export async function startInboundSmtp(port: number, deps: IntakeDeps) {
  const server = new SMTPServer({
    name: 'mailroom.localhost',
    banner: 'Mailroom bounce intake',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_REPORT_BYTES,
    disableReverseLookup: true,
    logger: false,
    onData: (stream, _session, callback) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      // SIZE in MAIL FROM is only a promise (RFC 1870): the count is kept here too, and
      // nothing past the limit is held in memory.
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes <= MAX_REPORT_BYTES) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (bytes > MAX_REPORT_BYTES || stream.sizeExceeded) {
          const message = `5.3.4 Message too big for a report (limit ${MAX_REPORT_BYTES} bytes)`;
          callback(Object.assign(new Error(message), { responseCode: 552 }));
          return;
        }
        ingestReport(Buffer.concat(chunks), deps).then(
          (report) => callback(null, `2.0.0 Report ${report.id} ${report.status}`),
          (error: Error) => {
            deps.logger.error('bounce intake failed', { error });
            callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  server.on('error', (error) => deps.logger.warn('bounce intake listener error', { error }));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
