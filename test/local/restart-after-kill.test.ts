import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { freePort } from '../../local/free-port.js';
import { TERMINAL_EMAIL_STATUSES } from '../../shared/store/email-record.js';
import { eventually } from '../support/eventually.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';

/**
 * `npm start` killed outright (SIGKILL to its whole process group) while emails are queued
 * and in flight, then started again on the same data: every email is delivered once and
 * is settled within two minutes of the restart.
 */
const EMAILS = 40;
const API_KEY = 'restart-test-key-0123456789';
const SETTLE_MS = 120_000;

describe('local mode after a hard kill', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-restart-'));
  let relay: RecordingRelay;
  let stack: ChildProcess | undefined;
  let port = 0;

  const start = async () => {
    const caFile = join(dataDir, 'relay-ca.pem');
    writeFileSync(caFile, relay.caPem);
    stack = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        MAILROOM_DATA_DIR: dataDir,
        MAILROOM_API_KEY: API_KEY,
        SMTP_URL: relay.url,
        SMTP_CA_FILE: caFile,
        MAILROOM_INBOUND_SMTP_PORT: '0',
        MAILROOM_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
      detached: true,
    });
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000);
  };
  const api = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
  });

  afterAll(async () => {
    if (stack?.pid && stack.exitCode === null) {
      const gone = new Promise((resolve) => stack?.once('exit', resolve));
      process.kill(-stack.pid, 'SIGTERM');
      await gone;
    }
    await relay?.close();
  });

  it('delivers each email exactly once and settles them all', { timeout: 300_000 }, async () => {
    relay = await startRecordingRelay({ dataReplyDelayMs: 300 });
    port = await freePort();
    await start();
    // All at once, so that most are still queued or in flight when the kill comes.
    const ids = await Promise.all(Array.from({ length: EMAILS }, async (_, n) => {
      const response = await api('/v1/emails', {
        method: 'POST',
        body: JSON.stringify({
          from: 'orders@example.com', to: `r${n}@example.org`, subject: `Restart ${n}`, text: 'x',
        }),
      });
      return ((await response.json()) as { id: string }).id;
    }));
    await eventually(async () => relay.log.messages.length >= 5, 30_000);

    process.kill(-(stack?.pid as number), 'SIGKILL');
    const deliveredBeforeKill = relay.log.messages.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const restartedAt = Date.now();
    await start();
    await eventually(async () => {
      const statuses = await Promise.all(ids.map(async (id) =>
        ((await (await api(`/v1/emails/${id}`)).json()) as { status: string }).status));
      return statuses.every((status) => TERMINAL_EMAIL_STATUSES.has(status as never));
    }, SETTLE_MS);
    const settledAfterMs = Date.now() - restartedAt;

    const copies = ids.map((id) => relay.log.messages
      .filter((message) => message.raw.toString('latin1').includes(`<${id}@`)).length);
    console.log(`restart: ${JSON.stringify({ deliveredBeforeKill, settledAfterMs,
      delivered: relay.log.messages.length })}`);
    expect(deliveredBeforeKill).toBeLessThan(EMAILS);
    expect(copies.every((count) => count === 1)).toBe(true);
    expect(settledAfterMs).toBeLessThan(SETTLE_MS);
  });
});
