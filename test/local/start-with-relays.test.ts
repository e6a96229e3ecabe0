/**
 * `npm start` with SMTP_RELAYS: no development relay starts, and the workers use the listed
 * relays in priority order, failing over from one that refuses connections.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { freePort } from '../../local/free-port.js';
import { closedPort } from '../shared/webhooks/webhook-receiver.js';
import { eventually } from '../support/eventually.js';
import { type RecordingRelay, startRecordingRelay } from '../support/recording-relay.js';

const API_KEY = 'relays-test-key-0123456789';

describe('npm start with several relays', () => {
  let stack: ChildProcess | undefined;
  let relay: RecordingRelay | undefined;

  afterAll(async () => {
    if (stack?.pid && stack.exitCode === null) {
      const gone = new Promise((resolve) => stack?.once('exit', resolve));
      process.kill(-stack.pid, 'SIGTERM');
      await gone;
    }
    await relay?.close();
  });

  it('sends through the backup when the primary refuses connections', { timeout: 120_000 },
    async () => {
      relay = await startRecordingRelay();
      const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-relays-'));
      const caFile = join(dataDir, 'relay-ca.pem');
      writeFileSync(caFile, relay.caPem);
      const backup = new URL(relay.url);
      const relays = [
        `smtp://user:pass@127.0.0.1:${await closedPort()}?name=primary`,
        `smtp://${backup.username}:${backup.password}@${backup.host}?name=backup`,
      ].join(' ');
      const port = await freePort();
      stack = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
        env: {
          ...process.env,
          PORT: String(port),
          MAILROOM_DATA_DIR: dataDir,
          MAILROOM_API_KEY: API_KEY,
          SMTP_URL: '',
          SMTP_RELAYS: relays,
          SMTP_CA_FILE: caFile,
          MAILROOM_INBOUND_SMTP_PORT: '0',
          MAILROOM_LOG_LEVEL: 'error',
        },
        stdio: 'ignore',
        detached: true,
      });
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        });
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000);

      const accepted = await api('/v1/emails', {
        method: 'POST',
        body: JSON.stringify({
          from: 'orders@example.com', to: 'ana@example.org', subject: 'Two relays', text: 'x',
        }),
      });
      const { id } = await accepted.json() as { id: string };
      let email: { status: string; recipients: Array<{ relay?: string }> } | undefined;
      await eventually(async () => {
        email = await (await api(`/v1/emails/${id}`)).json() as typeof email;
        return email?.status === 'sent';
      }, 60_000);
      const devMailbox = await api('/dev/messages');

      expect(email?.recipients[0]?.relay).toBe('backup');
      expect(relay.log.messages.filter((m) => m.raw.toString().includes(id))).toHaveLength(1);
      expect(devMailbox.status).toBe(404);
    });
});
