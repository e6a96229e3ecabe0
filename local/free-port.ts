/** Port checks on 127.0.0.1, the only address the local stack uses. */
import { createServer, type AddressInfo } from 'node:net';

const HOST = '127.0.0.1';

/**
 * A port that was free a moment ago. Another process may take it before the caller binds
 * it, so this serves only processes that cannot report a port they picked themselves.
 */
export function freePort(): Promise<number> {
  return probe(0);
}

export async function isPortFree(port: number): Promise<boolean> {
  try {
    await probe(port);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw error;
  }
}

function probe(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: HOST, port, exclusive: true }, () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}
