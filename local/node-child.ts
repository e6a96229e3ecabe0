/**
 * Starts a TypeScript entry file in its own Node process, the way the local stack runs the
 * API and the worker: `node --import tsx --import exit-with-parent <entry>`. Separate
 * processes keep a busy worker from starving the API of event-loop time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Resolved from this file, so the children find tsx whatever the working directory is.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const EXIT_WITH_PARENT = new URL('./exit-with-parent.ts', import.meta.url).href;

export function spawnNodeChild(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', TSX_LOADER, '--import', EXIT_WITH_PARENT, entry], {
    env,
    // stdin is the parent-alive pipe (see exit-with-parent.ts); logs pass straight through.
    stdio: ['pipe', 'inherit', 'inherit'],
    // Its own process group: a terminal Ctrl-C reaches only the supervisor, which then
    // stops the children in order rather than all processes at once.
    detached: true,
  });
}

export function entryPath(relativeToLocalFolder: string): string {
  return fileURLToPath(new URL(relativeToLocalFolder, import.meta.url));
}
