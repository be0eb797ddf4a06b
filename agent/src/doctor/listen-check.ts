/** Can the Prometheus listener bind where the configuration says? Binds, then closes at once. */
import { createServer } from 'node:net';
import type { CheckResult } from './endpoint-check.js';

export function checkCanListen(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  const name = 'prometheus listener';
  const where = `${host}:${port}`;
  return new Promise((resolve) => {
    const server = createServer();
    const timer = setTimeout(() => {
      server.close();
      resolve({ name, ok: false, detail: where, problem: `the Prometheus listener ${where} could not be bound within ${timeoutMs} ms` });
    }, timeoutMs);
    server.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        err.code === 'EADDRINUSE'
          ? 'is in use by another process'
          : err.code === 'EACCES'
            ? 'needs privileges this user lacks (EACCES)'
            : err.code === 'ENOTFOUND' || err.code === 'EADDRNOTAVAIL'
              ? `is not an address of this machine (${err.code})`
              : `cannot be bound (${err.code ?? err.message})`;
      resolve({ name, ok: false, detail: where, problem: `the Prometheus listener ${where} ${why} (OTEL_EXPORTER_PROMETHEUS_HOST / _PORT)` });
    });
    server.listen({ host, port, exclusive: true }, () => {
      clearTimeout(timer);
      server.close(() => resolve({ name, ok: true, detail: `${where} can be bound; /metrics will be served there` }));
    });
  });
}
