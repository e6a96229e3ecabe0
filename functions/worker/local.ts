import { reportCallsTo } from '../../shared/aws/call-counter.js';
import { loadConfig } from '../../shared/config/config.js';
import { ConfigError } from '../../shared/config/config-error.js';
import { LEASE_MS } from '../../shared/delivery/timing.js';
import { sweep } from '../../shared/delivery/sweep.js';
import { buildWorkerDeps } from './build-worker-deps.js';
import { isOwnerGone } from './lease-owner.js';
import { startPoller } from './poller.js';

/** How often local mode sweeps; in AWS a schedule runs the sweeper function instead. */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * The worker as a Node process: what `npm start` runs instead of Lambda. It settles what a
 * previous run left behind, polls the send queue, sweeps on a timer, and on SIGTERM stops
 * taking work and finishes what it holds.
 */
async function main(): Promise<void> {
  let deps;
  try {
    deps = buildWorkerDeps(loadConfig());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailroom worker: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { logger } = deps;
  await reportCallsTo(process.env.MAILROOM_CALL_COUNT_DIR);

  const poller = startPoller({ sqs: deps.sqs, queueUrl: deps.config.queueUrl, deps });

  // The embedded queue keeps nothing across a restart, so every email waiting for its
  // first attempt is dispatched again now, and leases of dead processes are taken back;
  // the horizon reaches every lease still running (their due time is their expiry).
  // Polling has already started: what the queue still holds goes out meanwhile.
  void sweep(deps, {
    now: new Date(),
    maxAgeSeconds: deps.config.maxAgeSeconds,
    horizonMs: LEASE_MS,
    isOwnerGone,
  }).catch((error) => logger.error('start-up sweep failed', { error }));

  const timer = setInterval(() => {
    sweep(deps, { now: new Date(), maxAgeSeconds: deps.config.maxAgeSeconds, isOwnerGone })
      .catch((error) => logger.error('sweep failed', { error }));
  }, SWEEP_INTERVAL_MS);
  logger.info('worker polling', { relays: deps.config.relays.map((relay) => relay.name) });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    logger.info('worker stopping; finishing jobs in flight', { inFlight: poller.inFlight });
    await poller.stop();
    await deps.router.close();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

await main();
