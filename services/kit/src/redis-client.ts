import { once } from 'node:events';
import { Redis } from 'ioredis';
import { withTimeout } from './with-timeout.js';

/**
 * A Redis client that fails fast while Redis is down or hung, instead of queueing
 * commands until it comes back: no offline queue, one attempt per command, a command
 * timeout. It keeps reconnecting in the background (at most every 2 s), so the service
 * recovers by itself. Connection errors are left to the caller's checks; ioredis's own
 * 'error' events are swallowed so an unreachable Redis never crashes the process.
 */
export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    lazyConnect: false,
  });
  client.on('error', () => {});
  return client;
}

/**
 * Waits until the client is connected, for at most `ms`: with no offline queue, commands
 * sent before the connection is up fail, so a service waits for it before listening.
 * Resolves false (never rejects) when Redis is not there yet; the service starts anyway
 * and fails open until it is.
 */
export async function redisReady(client: Redis, ms: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return withTimeout(once(client, 'ready'), ms, 'Redis').then(
    () => true,
    () => false,
  );
}

/** Closes the client: QUIT when connected (pending replies arrive first), else stop reconnecting at once. */
export async function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit();
  else client.disconnect();
}
