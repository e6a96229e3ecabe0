/**
 * The TCP sockets a process listens on, read from /proc (Linux): the socket inodes among
 * its open files, matched against the kernel's TCP tables. Lets a test prove a server bound
 * 127.0.0.1 and nothing else.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface ListeningSocket {
  address: string;
  port: number;
}

const LISTEN_STATE = '0A';

export async function listeningSockets(pid: number): Promise<ListeningSocket[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }

  const sockets: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (!local || state !== LISTEN_STATE || !inode || !inodes.has(inode)) continue;
      sockets.push(parseLocalAddress(local));
    }
  }
  return sockets;
}

/** `0100007F:1F90` (IPv4) or 32 hex digits (IPv6), each 32-bit word in host byte order. */
function parseLocalAddress(local: string): ListeningSocket {
  const [hex, port] = local.split(':') as [string, string];
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse());

  if (bytes.length === 4) {
    return { address: bytes.map((byte) => parseInt(byte, 16)).join('.'), port: parseInt(port, 16) };
  }
  const mapped = bytes.slice(0, 10).every((byte) => byte === '00')
    && bytes[10] === 'FF' && bytes[11] === 'FF';
  const address = mapped
    ? `::ffff:${bytes.slice(12).map((byte) => parseInt(byte, 16)).join('.')}`
    : groups(bytes);
  return { address, port: parseInt(port, 16) };
}

function groups(bytes: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) parts.push(`${bytes[i]}${bytes[i + 1]}`.toLowerCase());
  return parts.join(':');
}
