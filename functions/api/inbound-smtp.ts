import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

import { ingestReport, type IntakeDeps } from '../../shared/bounces/ingest-report.js';

/** Reports larger than this are refused at the SMTP level (they are not reports). */
const MAX_REPORT_BYTES = 10 * 1024 * 1024;

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
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
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
