import { hostname } from 'node:os';

import { newId } from '../../shared/ids/new-id.js';

/**
 * Lease owners read `<host>:<pid>:<run>`. On one machine a worker can tell that the owner
 * of a lease is gone (its process no longer exists), which lets a restarted local stack
 * take back a dead run's emails at once instead of waiting out the lease.
 */
const HOST = hostname();
const RUN = newId('req').slice(-8);

export const currentWorkerId = `${HOST}:${process.pid}:${RUN}`;

export function isOwnerGone(owner: string): boolean {
  const [host, pid, run] = owner.split(':');
  if (host !== HOST || !pid || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return run !== RUN;

  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
