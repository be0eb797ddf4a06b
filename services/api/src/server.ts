import { getLogger } from '@twinkle/agent/api';
import { closeRedisClient, createRedisClient, redisReady } from '@twinkle/service-kit/redis';
import { serveApp } from '@twinkle/service-kit/serve';
import { createApiApp } from './app.js';
import { readApiConfig } from './config.js';
import { PaymentsStore } from './payments-store.js';

const log = getLogger();
const { config, problems } = readApiConfig();
for (const problem of problems) log.warn(problem);

const redis = createRedisClient(config.redisUrl, config.dependencyTimeoutMs);
if (!(await redisReady(redis, config.dependencyTimeoutMs))) log.warn(`Redis not reachable within ${config.dependencyTimeoutMs} ms; starting anyway (retrying in the background)`);
const store = new PaymentsStore(config.databaseUrl, config.dependencyTimeoutMs);
store.ensureSchema().catch((error: unknown) => log.warn({ err: error }, 'payments schema not created yet (database unavailable); retried on the next request'));

serveApp(createApiApp({ config, store, redis }), {
  service: 'api',
  host: config.host,
  port: config.port,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  log,
  closers: [
    { name: 'redis', close: () => closeRedisClient(redis) },
    { name: 'postgresql', close: () => store.close() },
  ],
});
