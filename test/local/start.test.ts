/**
 * `npm start` refuses a wrong setting or a busy port with one line naming it, before it
 * starts anything.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import { freePort } from '../../local/free-port.js';

async function runStart(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-start-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    env: { ...process.env, MAILROOM_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr, leftInDataDir: readdirSync(dataDir) };
}

async function busyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

describe('npm start before it starts anything', () => {
  it('names a variable with a wrong value and exits 1', { timeout: 30_000 }, async () => {
    const result = await runStart({
      PORT: String(await freePort()), MAILROOM_RETRY_BASE_SECONDS: 'abc',
    });

    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'mailroom: MAILROOM_RETRY_BASE_SECONDS must be a whole number from 1 to 3600',
    );
    expect(result.leftInDataDir).toEqual([]);
  });

  it('refuses an unknown log level', { timeout: 30_000 }, async () => {
    const result = await runStart({
      PORT: String(await freePort()), MAILROOM_LOG_LEVEL: 'verbose',
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MAILROOM_LOG_LEVEL must be one of debug, info, warn, error');
  });

  it('says the API port is taken', { timeout: 30_000 }, async () => {
    const port = await busyPort();

    const result = await runStart({ PORT: String(port) });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`PORT ${port} is already in use on 127.0.0.1`);
    expect(result.leftInDataDir).toEqual([]);
  });

  it('says the bounce intake port is taken', { timeout: 30_000 }, async () => {
    const port = await busyPort();

    const result = await runStart({
      PORT: String(await freePort()), MAILROOM_INBOUND_SMTP_PORT: String(port),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`MAILROOM_INBOUND_SMTP_PORT ${port} is already in use`);
    expect(result.leftInDataDir).toEqual([]);
  });

  it('says when the data folder is a file', { timeout: 30_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mailroom-start-')), 'not-a-folder');
    writeFileSync(file, 'x');

    const result = await runStart({ PORT: String(await freePort()), MAILROOM_DATA_DIR: file });

    expect(result.code).toBe(1);
    expect(result.stderr.trim())
      .toBe(`mailroom: MAILROOM_DATA_DIR names ${file}, which is not a folder`);
  });
});
