import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { withTimeout } from './with-timeout.js';

/** Something the service must close on shutdown (a Redis client, a PostgreSQL pool, a chain client). */
export interface Closer {
  readonly name: string;
  close(): Promise<unknown>;
}

export interface ServeOptions {
  readonly service: string;
  readonly host: string;
  readonly port: number;
  /** How long in-flight requests may run after SIGTERM before their connections are cut. */
  readonly shutdownTimeoutMs: number;
  readonly closers: readonly Closer[];
  readonly log: Logger;
}

/** The agent flushes telemetry within 5 s of the signal; allow that before forcing the exit. */
const AGENT_FLUSH_MS = 5000;

/**
 * Serves the app on host:port and shuts it down gracefully on SIGTERM/SIGINT: stop
 * accepting, let in-flight requests finish within `shutdownTimeoutMs` (then cut their
 * connections), close the dependencies, and let the process end by itself so the
 * agent's own signal handler can flush spans and Sentry events. If something still holds
 * the event loop after that, the process exits anyway.
 */
export function serveApp(app: Hono, options: ServeOptions): Server {
  const { log } = options;
  const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info) => {
    log.info({ address: info.address, port: info.port }, `${options.service} listening on http://${info.address}:${info.port}`);
  }) as Server;
  server.on('error', (error) => {
    log.fatal({ err: error }, `${options.service} cannot listen on ${options.host}:${options.port}`);
    process.exitCode = 1;
    void closeAll(options.closers, log).finally(() => process.exit(1));
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${signal}: ${options.service} stops accepting and finishes in-flight requests (up to ${options.shutdownTimeoutMs} ms)`);
    const cut = setTimeout(() => {
      log.warn(`in-flight requests still running after ${options.shutdownTimeoutMs} ms; closing their connections`);
      server.closeAllConnections();
    }, options.shutdownTimeoutMs);
    server.close(() => {
      clearTimeout(cut);
      void closeAll(options.closers, log).finally(() => {
        log.info(`${options.service} stopped`);
        setTimeout(() => process.exit(process.exitCode ?? 0), AGENT_FLUSH_MS + 1000).unref();
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return server;
}

async function closeAll(closers: readonly Closer[], log: Logger): Promise<void> {
  await Promise.all(
    closers.map(async (closer) => {
      try {
        await withTimeout(closer.close(), 2000, `closing ${closer.name}`);
        log.info(`closed ${closer.name}`);
      } catch (error) {
        log.warn({ err: error }, `could not close ${closer.name} cleanly`);
      }
    }),
  );
}
