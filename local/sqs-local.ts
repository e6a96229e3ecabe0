/**
 * The SQS emulator (fauxqs) inside this process, listening on 127.0.0.1 only. fauxqs's own
 * `startFauxqs()` binds every interface, so the bare app is started instead; queues are
 * then created through the SDK like any other client would (see `ensure-queues.ts`).
 * State lives in memory: queued messages do not survive a restart.
 */
import type { AddressInfo } from 'node:net';

export interface SqsLocal {
  endpoint: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startSqsLocal(options: { port?: number } = {}): Promise<SqsLocal> {
  // fauxqs brings a web server and its own AWS SDK copies; loading it on demand keeps
  // that cost out of processes that only import this module.
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });

  await app.listen({ host: HOST, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;

  return {
    endpoint: `http://${HOST}:${port}`,
    stop: () => app.close(),
  };
}
