/**
 * Runs one Mailroom local stack (`startLocalStack`) in its own process for the benchmark.
 * The stack keeps its SQS emulator in the process that starts it; running it here keeps
 * that work off the load generator's event loop. The API and worker are this process's
 * children, as with `npm start`; their output reaches the benchmark through our stdout.
 */
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../local/local-stack.js';
import { createLogger } from '../shared/log/logger.js';
import { serveParent, type ParentChannel } from './serve-parent.js';

export type StackSettings = Omit<LocalStackOptions, 'logger' | 'onFailure'>;

export interface StackInfo {
  apiUrl: string;
  apiKey: string;
}

let starting: Promise<LocalStack> | undefined;
const channel: ParentChannel = serveParent({
  start: async (settings) => {
    starting = startLocalStack({
      ...(settings as StackSettings),
      logger: createLogger({ level: 'warn', fields: { component: 'local' } }),
      onFailure: (error) => channel.notify(`local stack stopped itself: ${error.message}`),
    });
    const stack = await starting;
    return { apiUrl: stack.apiUrl, apiKey: stack.apiKey } satisfies StackInfo;
  },
}, async () => {
  const stack = await starting?.catch(() => undefined);
  await stack?.stop();
}, {});
