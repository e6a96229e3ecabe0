import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from '../../local/free-port.js';

/**
 * A real Postfix or Exim on 127.0.0.1 as an authenticated upstream relay (STARTTLS, then
 * AUTH), started by the scripts in test/support/relays/. Every accepted message lands in
 * one local Maildir, one file per recipient; the relays have no path off the machine.
 * The scripts need root and install their Debian packages on first use.
 */
export type RelayKind = 'postfix' | 'exim';

export interface RealRelay {
  kind: RelayKind;
  /** SMTP_URL for Mailroom: smtp://user:pass@127.0.0.1:port (STARTTLS). */
  url: string;
  host: string;
  port: number;
  user: string;
  pass: string;
  caPem: string;
  maildir: string;
  log: string;
  workdir: string;
  /** Paths of every delivered file (Maildir new/ and cur/), sorted. */
  files(): string[];
  /** Stops the daemon and removes its workdir; safe to call twice. */
  stop(): Promise<void>;
}

export interface RealRelayOptions {
  /** Extra environment for the script, such as RELAY_BARE_LF. */
  env?: Record<string, string>;
  user?: string;
  pass?: string;
  /** Bound on the start, a first-time package install included. */
  timeoutMs?: number;
}

const SCRIPTS = fileURLToPath(new URL('./relays/', import.meta.url));
/** Starts (and so package installs) of all test files run one at a time. */
const LOCK_FILE = '/tmp/mailroom-real-relays.lock';
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 30_000;

/** Workdirs whose daemon may be running; stopped on exit if a test did not get to it. */
const live = new Set<string>();
let exitHookInstalled = false;

export async function startRealRelay(
  kind: RelayKind,
  options: RealRelayOptions = {},
): Promise<RealRelay> {
  const script = join(SCRIPTS, `${kind}-relay.sh`);
  const user = options.user ?? 'mailroom-relay';
  const pass = options.pass ?? 'relay-secret-4711';
  const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  // Under /tmp: the daemons' own users must be able to enter the workdir.
  const workdir = mkdtempSync(`/tmp/mailroom-${kind}-`);
  const port = await freePort();

  installExitHook();
  live.add(workdir);
  try {
    const lockWaitSeconds = String(Math.ceil(timeoutMs / 1000));
    const result = await run(
      // -o: the daemons the script starts must not inherit (and so keep holding) the lock.
      'flock',
      ['-o', '-w', lockWaitSeconds, LOCK_FILE, script, 'start', workdir, String(port), user, pass],
      { env: options.env ?? {}, timeoutMs },
    );
    if (result.code !== 0) {
      throw new Error(
        `could not start the ${kind} relay (${result.signal ? `killed after ${timeoutMs} ms` :
          `exit ${result.code}`}). The script installs its Debian packages on first use, which ` +
        'needs root and apt access to the Debian mirror. Last output:\n' +
        tail(result.stderr + result.stdout),
      );
    }

    const env = parseEnv(readFileSync(join(workdir, 'relay.env'), 'utf8'));
    const need = (key: string): string => {
      const value = env.get(key);
      if (!value) throw new Error(`${kind} relay: ${key} missing from relay.env`);
      return value;
    };
    const host = need('RELAY_HOST');
    if (host !== '127.0.0.1') throw new Error(`${kind} relay listens on ${host}, not 127.0.0.1`);
    const maildir = need('RELAY_MAILDIR');
    const relayUser = need('RELAY_USER');
    const relayPass = need('RELAY_PASS');
    const relayPort = Number(need('RELAY_PORT'));

    let stopped = false;
    return {
      kind,
      url: `smtp://${encodeURIComponent(relayUser)}:${encodeURIComponent(relayPass)}` +
        `@${host}:${relayPort}`,
      host,
      port: relayPort,
      user: relayUser,
      pass: relayPass,
      caPem: readFileSync(need('RELAY_CA'), 'utf8'),
      maildir,
      log: need('RELAY_LOG'),
      workdir,
      files: () => maildirFiles(maildir),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopRelay(kind, workdir);
      },
    };
  } catch (error) {
    await stopRelay(kind, workdir).catch(() => {});
    throw error;
  }
}

function maildirFiles(maildir: string): string[] {
  return ['new', 'cur']
    .flatMap((sub) => {
      const dir = join(maildir, sub);
      return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
    })
    .sort();
}

async function stopRelay(kind: RelayKind, workdir: string): Promise<void> {
  try {
    if (hasInstance(kind, workdir)) {
      const script = join(SCRIPTS, `${kind}-relay.sh`);
      const result = await run(script, ['stop', workdir], { timeoutMs: STOP_TIMEOUT_MS });
      if (result.code !== 0) {
        throw new Error(`could not stop the ${kind} relay in ${workdir}:\n${tail(result.stderr)}`);
      }
    }
    rmSync(workdir, { recursive: true, force: true });
  } finally {
    live.delete(workdir);
  }
}

/** The scripts refuse to stop a workdir whose config they never wrote. */
function hasInstance(kind: RelayKind, workdir: string): boolean {
  return existsSync(join(workdir, 'etc', kind === 'postfix' ? 'main.cf' : 'exim.conf'));
}

/** Last resort when the worker ends before afterAll ran: stop every daemon still running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const workdir of live) {
      for (const kind of ['postfix', 'exim'] as const) {
        if (!hasInstance(kind, workdir)) continue;
        spawnSync(join(SCRIPTS, `${kind}-relay.sh`), ['stop', workdir], {
          stdio: 'ignore', timeout: STOP_TIMEOUT_MS,
        });
      }
    }
  });
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in its own process group, killing the whole group after `timeoutMs`. */
function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function parseEnv(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(RELAY_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) env.set(match[1], match[2] ?? '');
  }
  return env;
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
