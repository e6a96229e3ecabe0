import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Emails per measured run (naive, product, failover). */
  emails: number;
  /** POSTs in flight at once. */
  concurrency: number;
  /** Emails sent and delivered before each measured run. */
  warmup: number;
  /** Pooled SMTP connections of the naive baseline: the product's default per relay. */
  naiveConnections: number;
  putItems: number;
  putWarmup: number;
  putConcurrency: number;
  /** Emails counted item by item behind the DynamoDB proxy. */
  writeEmails: number;
  /** Emails sent one at a time to time a failover without queueing. */
  probeEmails: number;
  /** Ids checked through GET /v1/emails/{id} after a run. */
  statusSample: number;
  /** Longest wait for the POSTs of a run, and for the sink to get every email after. */
  postTimeoutMs: number;
  deliveryTimeoutMs: number;
  /** The whole benchmark stops, cleaning up, after this long. */
  totalTimeoutMs: number;
  json?: string;
}

const DEFAULTS: BenchOptions = {
  emails: 2000,
  concurrency: 32,
  warmup: 300,
  naiveConnections: 8,
  putItems: 4000,
  putWarmup: 500,
  putConcurrency: 16,
  writeEmails: 200,
  probeEmails: 30,
  statusSample: 50,
  postTimeoutMs: 120_000,
  deliveryTimeoutMs: 120_000,
  totalTimeoutMs: 15 * 60_000,
};

const QUICK: Partial<BenchOptions> = {
  emails: 400,
  warmup: 100,
  putItems: 1000,
  putWarmup: 200,
  writeEmails: 60,
  probeEmails: 10,
  statusSample: 20,
};

export const USAGE = `usage: npm run bench -- [--quick] [--emails N] [--concurrency C]
       [--warmup N] [--naive-connections N] [--json FILE]`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  let parsed;
  try {
    parsed = readFlags(argv);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) throw new UsageError(USAGE, { help: true });

  const options: BenchOptions = { ...DEFAULTS, ...(values.quick ? QUICK : {}) };
  if (values.emails !== undefined) options.emails = count('--emails', values.emails, 1);
  if (values.concurrency !== undefined) {
    options.concurrency = count('--concurrency', values.concurrency, 1);
  }
  if (values.warmup !== undefined) options.warmup = count('--warmup', values.warmup, 0);
  if (values['naive-connections'] !== undefined) {
    options.naiveConnections = count('--naive-connections', values['naive-connections'], 1);
  }
  if (values.json !== undefined) options.json = values.json;
  return options;
}

function readFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      emails: { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      'naive-connections': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
}

export class UsageError extends Error {
  override name = 'UsageError';
  /** Asked for with --help: not an error. */
  readonly help: boolean;

  constructor(message: string, options: { help?: boolean } = {}) {
    super(message);
    this.help = options.help ?? false;
  }
}

const MAX_EMAILS = 100_000;

function count(flag: string, value: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > MAX_EMAILS) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${MAX_EMAILS}\n${USAGE}`);
  }
  return parsed;
}
