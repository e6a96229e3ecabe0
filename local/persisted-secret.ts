/**
 * Secrets the local stack generates once and keeps in its data dir (the API key, the dev
 * relay password), so a restart does not invalidate what a developer already pasted.
 * Files are created readable by the owner only.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** `mr_` and 32 URL-safe characters (24 random bytes). */
export function generateApiKey(): string {
  return `mr_${randomBytes(24).toString('base64url')}`;
}

/** 24 URL-safe characters: safe inside an smtp:// URL without escaping. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function loadOrCreateSecret(path: string, generate: () => string): Promise<string> {
  const existing = await readSecret(path);
  if (existing) return existing;

  await mkdir(dirname(path), { recursive: true });
  const secret = generate();
  try {
    await writeFile(path, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Another start wrote it first (or an empty file was left behind): its value wins.
  const written = await readSecret(path);
  if (!written) throw new Error(`${path} is empty; delete it to have a new secret generated`);
  return written;
}

async function readSecret(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
