import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: esbuild's working directory and the home of package-lock.json. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

function handlerOf(name: string): string {
  return fileURLToPath(new URL(`../functions/${name}/handler.ts`, import.meta.url));
}

/** The entry file of each function; every one exports `handler`. */
export const entries = {
  api: handlerOf('api'),
  worker: handlerOf('worker'),
  sweeper: handlerOf('sweeper'),
  webhooks: handlerOf('webhooks'),
} as const;

/** Entry files that are not on disk; bundling needs all of them. */
export function missingEntries(): string[] {
  return Object.values(entries).filter((entry) => !existsSync(entry));
}
