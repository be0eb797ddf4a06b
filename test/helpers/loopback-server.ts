import type { Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

/** Starts `server` on 127.0.0.1 on a free port and returns its base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes `server` and every connection still open to it. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

/** A port nothing listens on (it was free a moment ago): for "connection refused" cases and dedicated listeners. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `count` different loopback ports that were free a moment ago: all are held at once while
 * they are chosen, so no two are the same (one at a time, the kernel may hand out a port it
 * just gave back).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createNetServer>>((resolve) => {
      const srv = createNetServer().listen(0, '127.0.0.1', () => resolve(srv));
    })),
  );
  const ports = servers.map((srv) => (srv.address() as AddressInfo).port);
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

/** Resolves with `items` once `predicate` holds; `notify()` re-checks it. */
export interface Waiter<T> {
  waitFor(predicate: (items: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  notify(): void;
}

/** A waiter over a growing list; `describe` says what arrived when it times out. */
export function createWaiter<T>(items: T[], describe: (items: T[]) => string): Waiter<T> {
  const waiters = new Set<() => void>();
  return {
    notify: () => {
      for (const w of waiters) w();
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        if (predicate(items)) return resolve(items);
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; got ${items.length}: ${describe(items)}`));
        }, timeoutMs);
        const check = (): void => {
          if (!predicate(items)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(items);
        };
        waiters.add(check);
      });
    },
  };
}
