import { getLogger } from '@twinkle/agent/api';
import { closeRedisClient, createRedisClient, redisReady } from '@twinkle/service-kit/redis';
import { serveApp } from '@twinkle/service-kit/serve';
import { createApiApp } from './app.js';
import { readApiConfig } from './config.js';
import { PaymentTransitions } from './payment-transitions.js';
import { PaymentsStore } from './payments-store.js';
import { PaymentReconciler } from './reconciler.js';

const log = getLogger();
const { config, problems } = readApiConfig();
for (const problem of problems) log.warn(problem);

const redis = createRedisClient(config.redisUrl, config.dependencyTimeoutMs);
if (!(await redisReady(redis, config.dependencyTimeoutMs))) log.warn(`Redis not reachable within ${config.dependencyTimeoutMs} ms; starting anyway (retrying in the background)`);
const store = new PaymentsStore(config.databaseUrl, config.dependencyTimeoutMs);
store.ensureSchema().catch((error: unknown) => log.warn({ err: error }, 'payments schema not created yet (database unavailable); retried on the next request'));

const transitions = new PaymentTransitions(store, log);
const reconciler = new PaymentReconciler({
  store,
  transitions,
  facilitatorUrl: config.facilitatorUrl,
  intervalMs: config.reconcileIntervalMs,
  settlingAfterMs: config.settlementTimeoutMs,
  timeoutMs: Math.min(config.settlementTimeoutMs, 10_000),
  log,
});
reconciler.start();

serveApp(createApiApp({ config, store, transitions, redis }), {
  service: 'api',
  host: config.host,
  port: config.port,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  log,
  closers: [
    { name: 'redis', close: () => closeRedisClient(redis) },
    // The reconciler writes to PostgreSQL: its pass ends before the pool closes.
    { name: 'postgresql', close: () => reconciler.stop().then(() => store.close()) },
  ],
});
