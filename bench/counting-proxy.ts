import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Calls and items written, by DynamoDB operation. */
export interface WriteTally {
  calls: Record<string, number>;
  /** Items each operation wrote (a ConditionCheck in a transaction writes nothing). */
  items: Record<string, number>;
}

const HOST = '127.0.0.1';
const SINGLE_ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const WRITES = new Set([...SINGLE_ITEM_WRITES, 'TransactWriteItems', 'BatchWriteItem']);

export function isWriteOperation(operation: string): boolean {
  return WRITES.has(operation);
}

/**
 * An HTTP proxy in front of DynamoDB Local that counts what goes through it: calls per
 * operation (from the X-Amz-Target header) and the items written by each write, including
 * the items inside TransactWriteItems and BatchWriteItem. The product's own call counts
 * say how many calls it made but not how many items a transaction or batch held.
 */
export class CountingProxy {
  private tallyNow: WriteTally = { calls: {}, items: {} };

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    private readonly agent: Agent,
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<CountingProxy> {
    const upstream = new URL(target);
    const agent = new Agent({ keepAlive: true });
    let proxy: CountingProxy | undefined;
    const server = createServer((incoming, outgoing) => {
      proxy?.forward(upstream, incoming, outgoing);
    });

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: HOST, port: 0 }, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    proxy = new CountingProxy(server, agent, `http://${HOST}:${port}`);
    return proxy;
  }

  tally(): WriteTally {
    return { calls: { ...this.tallyNow.calls }, items: { ...this.tallyNow.items } };
  }

  reset(): void {
    this.tallyNow = { calls: {}, items: {} };
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }

  private forward(upstream: URL, incoming: IncomingMessage, outgoing: ServerResponse): void {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(incoming.headers['x-amz-target'] ?? '');
      this.count(target.slice(target.indexOf('.') + 1), body);

      const onward = request({
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
        agent: this.agent,
      }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      onward.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      onward.end(body);
    });
  }

  private count(operation: string, body: Buffer): void {
    const { calls, items } = this.tallyNow;
    calls[operation] = (calls[operation] ?? 0) + 1;

    const written = itemsWritten(operation, body);
    if (written > 0) items[operation] = (items[operation] ?? 0) + written;
  }
}

function itemsWritten(operation: string, body: Buffer): number {
  if (SINGLE_ITEM_WRITES.has(operation)) return 1;
  if (operation !== 'TransactWriteItems' && operation !== 'BatchWriteItem') return 0;

  const input = JSON.parse(body.toString('utf8')) as {
    TransactItems?: Array<Record<string, unknown>>;
    RequestItems?: Record<string, unknown[]>;
  };
  if (operation === 'TransactWriteItems') {
    return (input.TransactItems ?? []).filter((item) => !('ConditionCheck' in item)).length;
  }
  return Object.values(input.RequestItems ?? {}).reduce((sum, list) => sum + list.length, 0);
}
