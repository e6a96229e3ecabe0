/**
 * On-disk format of the development relay's mailbox, shared by the relay (writer) and the
 * mailbox reader. Each message is two files in one folder:
 * - `<id>.eml`: the message exactly as the client sent it after DATA (CRLF line ends);
 * - `<id>.json`: a DevMessageRecord. It is written last, so a message is listed only once
 *   both files are complete and on disk.
 */
import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface DevMessageRecord {
  id: string;
  envelope: { mailFrom: string | null; rcptTo: string[] };
  receivedAt: string;
  size: number;
}

/** Timestamp first, so ids sort by arrival; the random part keeps them unique. */
const RECEIVED_ID = /^\d{8}T\d{9}Z-[0-9a-f]{12}$/;

export function newReceivedId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(6).toString('hex')}`;
}

/** Guards every path built from an id, so a caller cannot leave the mailbox folder. */
export function isReceivedId(id: string): boolean {
  return RECEIVED_ID.test(id);
}

export function messageFile(dir: string, id: string, kind: 'eml' | 'json'): string {
  if (!isReceivedId(id)) throw new Error('invalid message id');
  return join(dir, `${id}.${kind}`);
}

/** Resolves once both files and the folder entry are flushed to disk. */
export async function writeDevMessage(
  dir: string,
  raw: Buffer,
  record: DevMessageRecord,
): Promise<void> {
  await writeDurably(messageFile(dir, record.id, 'eml'), raw);

  const recordFile = messageFile(dir, record.id, 'json');
  const temporary = `${recordFile}.tmp`;
  await writeDurably(temporary, Buffer.from(JSON.stringify(record, null, 2) + '\n'));
  await rename(temporary, recordFile);
  await syncFolder(dir);
}

async function writeDurably(path: string, content: Buffer): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A rename is durable only once the folder itself is synced. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
