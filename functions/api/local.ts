import { serve } from '@hono/node-server';

import { reportCallsTo } from '../../shared/aws/call-counter.js';
import { loadConfig } from '../../shared/config/config.js';
import { ConfigError } from '../../shared/config/config-error.js';
import { createApp } from './app.js';
import { startInboundSmtp } from './inbound-smtp.js';
import { intakeDeps } from './routes/inbound.js';
import { buildApiDeps } from './build-api-deps.js';


/** The API as a Node process on loopback: what `npm start` runs instead of Lambda. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailroom api: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const deps = buildApiDeps(config);
  await reportCallsTo(process.env.MAILROOM_CALL_COUNT_DIR);
  const server = serve({ fetch: createApp(deps).fetch, hostname: '127.0.0.1', port: config.port },
    (info) => deps.logger.info('api listening', { url: `http://127.0.0.1:${info.port}` }));
  await startBounceIntake(deps);

  const stop = () => {
    deps.logger.info('api stopping');
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Bounces by SMTP on loopback; MAILROOM_INBOUND_SMTP_PORT=0 turns it off. */
async function startBounceIntake(deps: ReturnType<typeof buildApiDeps>): Promise<void> {
  const port = deps.config.inboundSmtpPort;
  if (port === 0) return;

  try {
    const intake = await startInboundSmtp(port, intakeDeps(deps));
    deps.logger.info('bounce intake listening', { smtp: `127.0.0.1:${intake.port}` });
  } catch (error) {
    deps.logger.warn('bounce intake could not listen; reports still arrive over HTTP', { error });
  }
}

await main();
