/**
 * Reads the development relay's mailbox (see `dev-message-files.ts` for the format).
 * `from` and `to` are the SMTP envelope, which is what the relay was asked to deliver.
 */
import { open, readdir, readFile } from 'node:fs/promises';

import { isReceivedId, messageFile, type DevMessageRecord } from './dev-message-files.js';
import { headerSection, headerValue } from './mime-header.js';

export interface DevMessageSummary {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  size: number;
  subject: string;
}

/** Headers longer than this are cut when looking for the subject. */
const HEADER_READ_BYTES = 64 * 1024;

/** Every stored message, newest first. A missing folder is an empty mailbox. */
export async function listDevMessages(dir: string): Promise<DevMessageSummary[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const ids = names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter(isReceivedId);

  const summaries = await Promise.all(ids.map((id) => summarize(dir, id)));
  return summaries
    .filter((summary): summary is DevMessageSummary => summary !== undefined)
    .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.id.localeCompare(a.id));
}

/** The raw message, or undefined for an unknown or malformed id. */
export async function readDevMessage(dir: string, id: string): Promise<Buffer | undefined> {
  if (!isReceivedId(id)) return undefined;

  try {
    return await readFile(messageFile(dir, id, 'eml'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function summarize(dir: string, id: string): Promise<DevMessageSummary | undefined> {
  try {
    const text = await readFile(messageFile(dir, id, 'json'), 'utf8');
    const record = JSON.parse(text) as DevMessageRecord;
    const subject = headerValue(await readHead(messageFile(dir, id, 'eml')), 'subject') ?? '';

    return {
      id,
      receivedAt: record.receivedAt,
      from: record.envelope.mailFrom ?? '',
      to: record.envelope.rcptTo,
      size: record.size,
      subject,
    };
  } catch (error) {
    // Removed between readdir and read: not a message any more.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readHead(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEADER_READ_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return headerSection(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}
