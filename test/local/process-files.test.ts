import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  acquireStackLock,
  reapLeftoverProcesses,
  runDir,
  StackLockedError,
  writePidFile,
} from '../../local/process-files.js';

describe('process files', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mailroom-process-files-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  function idleProcess(marker: string): ChildProcess {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], {
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  }

  it('lets one stack at a time hold a data dir', async () => {
    const lock = await acquireStackLock(dataDir);

    await expect(acquireStackLock(dataDir)).rejects.toBeInstanceOf(StackLockedError);
    await lock.release();
    const again = await acquireStackLock(dataDir);
    await again.release();
  });

  it('takes over the lock of a stack that died', async () => {
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await once(dead, 'exit');
    await mkdir(runDir(dataDir), { recursive: true });
    await writeFile(join(runDir(dataDir), 'stack.lock'), JSON.stringify({ pid: dead.pid }));

    const lock = await acquireStackLock(dataDir);
    await lock.release();
  });

  it('stops leftover processes that are ours and spares the others', async () => {
    const ours = idleProcess('mailroom-leftover-marker');
    const foreign = idleProcess('unrelated-program');
    const marker = 'mailroom-leftover-marker';
    await writePidFile(dataDir, { name: 'api', pid: ours.pid!, marker });
    await writePidFile(dataDir, { name: 'worker', pid: foreign.pid!, marker: 'mailroom-worker' });
    const oursExited = once(ours, 'exit');

    const reaped = await reapLeftoverProcesses(dataDir);

    expect(reaped.map((record) => record.name)).toEqual(['api']);
    await oursExited;
    expect(foreign.exitCode).toBeNull();
    expect(foreign.signalCode).toBeNull();
    expect(await readdir(runDir(dataDir))).toEqual([]);
  });
});
