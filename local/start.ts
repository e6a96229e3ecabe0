/**
 * `npm start`: runs the local stack until Ctrl-C. All the work is in `startLocalStack`;
 * this file checks the prerequisites, prints where things are, and turns SIGINT, SIGTERM
 * and SIGHUP into an orderly stop (children first, given up to 30 s to finish their work,
 * then the services).
 */
import { loadConfig } from '../shared/config/config.js';
import { ConfigError } from '../shared/config/config-error.js';
import { createLogger } from '../shared/log/logger.js';
import { isPortFree } from './free-port.js';
import { checkJava, JavaMissingError } from './java-runtime.js';
import { LocalConfigError, readLocalConfig, type LocalConfig } from './local-config.js';
import { startLocalStack, type LocalStack } from './local-stack.js';
import { StackLockedError } from './process-files.js';
import { readyBanner } from './ready-banner.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main(): Promise<void> {
  const startedAt = Date.now();
  // The SDK warns on every process start that its 2027 releases will need Node 22; the
  // README's Limits section says so once, which is enough for a development stack.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config = await checkPrerequisites();
  const logger = createLogger({ fields: { component: 'local' } });

  let stack: LocalStack | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stack) {
      // Mid start-up there is no orderly stop yet: exit hooks send SIGTERM to what already
      // runs, and the next start clears whatever is left.
      logger.warn('start-up interrupted', { signal });
      process.exit(1);
    }
    // A second signal is common (a runner relaying the same Ctrl-C); the stop under way
    // already bounds how long the children get.
    if (stopping) return;
    stopping = true;
    logger.info('stopping the local stack', { signal });
    stack.stop().then(() => process.exit(0), () => process.exit(1));
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);

  stack = await startLocalStack({
    dataDir: config.dataDir,
    port: config.port,
    apiKey: config.apiKey,
    smtpUrl: config.smtpUrl,
    smtpRelays: config.smtpRelays,
    caFile: config.smtpCaFile,
    logger,
    onFailure: (error) => {
      logger.error('local stack stopped', { error });
      process.exit(1);
    },
  });
  process.stdout.write(readyBanner(stack, Date.now() - startedAt));
}

/** Exits with one clear line when something outside our control is missing or wrong. */
async function checkPrerequisites(): Promise<LocalConfig> {
  try {
    await checkJava();
    const config = readLocalConfig();
    // The children read the full configuration only once the services run; a wrong value
    // is cheaper to report now than after DynamoDB Local has started.
    const full = loadConfig({
      ...process.env,
      MAILROOM_API_KEY: config.apiKey ?? 'generated-at-start-up',
      MAILROOM_QUEUE_URL: 'http://127.0.0.1/queue-created-at-start-up',
    });
    if (!(await isPortFree(config.port))) {
      throw new LocalConfigError('PORT', `${config.port} is already in use on 127.0.0.1; `
        + 'set PORT to a free port');
    }
    const intake = full.inboundSmtpPort;
    if (intake !== 0 && (intake === config.port || !(await isPortFree(intake)))) {
      throw new LocalConfigError('MAILROOM_INBOUND_SMTP_PORT', `${intake} is already in use on `
        + '127.0.0.1; set it to a free port, or to 0 to turn bounce intake by SMTP off');
    }
    return config;
  } catch (error) {
    const known = error instanceof ConfigError || error instanceof JavaMissingError
      || error instanceof LocalConfigError;
    if (known) fail(error);
    throw error;
  }
}

function fail(error: Error): never {
  process.stderr.write(`mailroom: ${error.message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => {
  if (error instanceof StackLockedError || error instanceof JavaMissingError) fail(error);
  process.stderr.write(`mailroom: could not start: ${(error as Error).message ?? error}\n`);
  process.exit(1);
});
