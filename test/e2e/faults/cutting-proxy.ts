/**
 * A TCP pass-through on 127.0.0.1 that stands for a network failure: the first connection
 * through it is cut once the client has sent `cutAfterBytes` bytes, later ones pass
 * untouched. The relay behind it sees the bytes up to the cut, then the connection close.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface CuttingProxy {
  host: string;
  port: number;
  /** Connections that were cut. */
  cuts: number;
  close(): Promise<void>;
}

export async function startCuttingProxy(
  target: { host: string; port: number },
  options: { cutAfterBytes: number },
): Promise<CuttingProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const proxy: CuttingProxy = { host: '127.0.0.1', port: 0, cuts: 0, close: async () => {} };

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };

  const server = net.createServer((client) => {
    const cutThis = connections === 0;
    const upstream = net.connect({ host: target.host, port: target.port });
    let forwarded = 0;
    let cut = false;

    connections += 1;
    track(client);
    track(upstream);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    upstream.on('close', () => client.destroy());
    client.on('close', () => {
      if (!cut) upstream.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      const room = options.cutAfterBytes - forwarded;
      if (!cutThis || chunk.length <= room) {
        forwarded += chunk.length;
        upstream.write(chunk);
        return;
      }

      // The relay gets what came before the cut, then an ordinary close; the client, whose
      // bytes are still unread, gets a reset.
      cut = true;
      proxy.cuts += 1;
      upstream.end(chunk.subarray(0, room));
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  proxy.port = (server.address() as AddressInfo).port;
  proxy.close = () => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
  return proxy;
}
