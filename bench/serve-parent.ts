import type { FromChild, ToChild } from './child-messages.js';

export type Handlers = Record<string, (payload: unknown) => unknown>;

export interface ParentChannel {
  notify(message: string): void;
}

/** A child that cannot finish stopping in this time exits anyway. */
const FORCED_EXIT_MS = 45_000;

/**
 * The child side of a benchmark process: answers the parent's requests with `handlers`,
 * and stops (then exits) when asked to, on SIGTERM or SIGINT, or when the parent is gone
 * (the IPC channel closes even if the parent was killed).
 */
export function serveParent(
  handlers: Handlers,
  stop: () => Promise<void>,
  info: unknown,
): ParentChannel {
  const send = (message: FromChild) => new Promise<void>((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stopAndExit = () => {
    stopping ??= (async () => {
      setTimeout(() => process.exit(1), FORCED_EXIT_MS).unref();
      await stop().catch((error: unknown) => {
        process.stderr.write(`bench child ${process.pid}: stop failed: ${String(error)}\n`);
      });
    })();
    return stopping;
  };

  process.on('message', (raw: ToChild) => {
    if (raw?.kind !== 'request') return;
    if (raw.command === 'stop') {
      void stopAndExit()
        .then(() => send({ kind: 'reply', id: raw.id }))
        .then(() => process.exit(0));
      return;
    }
    void answer(raw, handlers).then(send);
  });
  process.on('disconnect', () => void stopAndExit().then(() => process.exit(0)));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => void stopAndExit().then(() => process.exit(0)));
  }

  void send({ kind: 'ready', info });
  const channel: ParentChannel = { notify: (message) => void send({ kind: 'notice', message }) };
  return channel;
}

async function answer(request: ToChild, handlers: Handlers): Promise<FromChild> {
  const handler = handlers[request.command];
  if (!handler) return { kind: 'reply', id: request.id, error: `no command ${request.command}` };

  try {
    return { kind: 'reply', id: request.id, result: await handler(request.payload) };
  } catch (error) {
    return { kind: 'reply', id: request.id, error: String((error as Error).stack ?? error) };
  }
}
