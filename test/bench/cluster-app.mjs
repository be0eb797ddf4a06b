// The benchmark app (app.mjs) as a node:cluster group: the primary forks BENCH_WORKERS
// workers (default 2), each running app.mjs on the shared PORT. The agent, when in Node's
// flags, is inherited by the workers.
import cluster from 'node:cluster';

if (cluster.isPrimary) {
  for (let i = 0; i < Number(process.env.BENCH_WORKERS ?? 2); i++) cluster.fork();
} else {
  await import('./app.mjs');
}
