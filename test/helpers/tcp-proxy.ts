import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';

/** How the proxy treats connections: pass them on, accept and never answer, or refuse them. */
export type ProxyMode = 'forward' | 'hang' | 'down';

/**
 * A TCP proxy on a fixed loopback port in front of a real server (PostgreSQL, Redis), so
 * a test can take the dependency away and bring it back without stopping the server
 * other tests use: `down` closes the port and cuts open connections, `hang` accepts and
 * never answers (a hung dependency), `forward` restores it.
 */
export interface TcpProxy {
  readonly port: number;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (mode === 'hang') return;
    const upstream = connect(targetPort, targetHost);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const cut = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    async setMode(next) {
      if (next === mode) return;
      const wasDown = mode === 'down';
      mode = next;
      cut();
      if (next === 'down') await new Promise((resolve) => server.close(resolve));
      else if (wasDown) {
        server.listen(port, '127.0.0.1');
        await once(server, 'listening');
      }
    },
    async close() {
      cut();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}
