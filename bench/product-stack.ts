import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { BenchChild } from './bench-child.js';
import { CallCountFiles } from './call-count-files.js';
import type { PostTarget } from './post-emails.js';
import type { StackInfo, StackSettings } from './stack-process.js';

export interface ProductStackOptions {
  /** Names the data folder and the process in messages. */
  name: string;
  /** Parent folder for this stack's data and call-count files. */
  dir: string;
  dynamoDbEndpoint: string;
  tableName: string;
  /** A real relay URL, so no development relay is started. */
  smtpUrl: string;
  caFile: string;
  /** Extra environment for the API and worker. */
  env?: Record<string, string>;
}

export interface ProductStack {
  child: BenchChild;
  target: PostTarget;
  callCounts: CallCountFiles;
  stop(): Promise<void>;
}

const STACK_ENTRY = new URL('./stack-process.ts', import.meta.url);
const CHILD_READY_MS = 30_000;
/** DynamoDB table and queues, then two Node processes compiled by tsx. */
const STACK_START_MS = 120_000;

/** Starts the real product (`startLocalStack`: API, worker, SQS) in a child process. */
export async function startProductStack(options: ProductStackOptions): Promise<ProductStack> {
  const dataDir = join(options.dir, options.name);
  const callCountDir = join(dataDir, 'calls');
  await mkdir(callCountDir, { recursive: true });

  const child = await BenchChild.start(`product stack (${options.name})`, STACK_ENTRY, {
    readyTimeoutMs: CHILD_READY_MS,
  });
  const settings: StackSettings = {
    dataDir,
    port: 0,
    apiKey: `bench-${options.name}-key-0123456789`,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    tableName: options.tableName,
    smtpUrl: options.smtpUrl,
    caFile: options.caFile,
    env: {
      MAILROOM_CALL_COUNT_DIR: callCountDir,
      MAILROOM_LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.env,
    },
  };

  try {
    const info = await child.request<StackInfo>('start', settings, STACK_START_MS);
    return {
      child,
      target: { url: info.apiUrl, apiKey: info.apiKey },
      callCounts: new CallCountFiles(callCountDir),
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
