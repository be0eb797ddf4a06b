import { getLogger } from '@twinkle/agent/api';
import { jsonErrorHandler } from '@twinkle/service-kit/error-handler';
import { jsonNotFound } from '@twinkle/service-kit/not-found';
import { healthStatusCode, runHealthChecks } from '@twinkle/service-kit/health';
import { badRequest, readJsonObject } from '@twinkle/service-kit/json-body';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Redis } from 'ioredis';
import type { ApiConfig } from './config.js';
import { isPaymentId, parseNewPayment, parsePage, type Payment } from './payment.js';
import { paidResource } from './paid-resource.js';
import { settlePaymentRequest } from './payment-settle-request.js';
import { SettlementTermsCache } from './settlement-terms-cache.js';
import type { PaymentTransitions } from './payment-transitions.js';
import { AuthorizationInUseError, DatabaseUnavailableError, type PaymentsStore } from './payments-store.js';
import { rateLimit } from './rate-limit.js';

/** How long a payer's authorization for a paid resource may be valid (x402's `maxTimeoutSeconds`). */
const PAID_RESOURCE_TIMEOUT_SECONDS = 300;

export interface ApiDependencies {
  readonly config: ApiConfig;
  readonly store: PaymentsStore;
  readonly transitions: PaymentTransitions;
  readonly redis: Redis;
}

/** The API service: payments in PostgreSQL, rate limited per client IP in Redis, settled through the facilitator. */
export function createApiApp({ config, store, transitions, redis }: ApiDependencies): Hono {
  const log = getLogger();
  const app = new Hono();
  const limiter = rateLimit({
    redis,
    max: config.rateLimitMax,
    windowSeconds: config.rateLimitWindowSeconds,
    trustProxyHops: config.trustProxyHops,
    timeoutMs: config.dependencyTimeoutMs,
    log,
  });

  const settlement = {
    facilitatorUrl: config.facilitatorUrl,
    timeoutMs: config.settlementTimeoutMs,
    transitions,
    store,
    terms: new SettlementTermsCache(config.facilitatorUrl, Math.min(config.settlementTimeoutMs, 10_000)),
    log,
  };

  app.get('/', (c) => c.json({ service: 'api', version: '0.1.0' }));

  app.get('/health', async (c) => {
    const report = await runHealthChecks('api', { redis: () => redis.ping(), database: () => store.ping() }, config.healthCheckTimeoutMs, log);
    return c.json(report, healthStatusCode(report));
  });

  app.use('/payments/*', limiter.middleware, bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: 'body larger than 64 KiB' }, 413) }));

  app.get('/payments', async (c) => {
    const page = parsePage(c.req.query('limit'), c.req.query('before'));
    const items = await store.list(page.limit, page.before);
    return c.json({ items, next: items.length === page.limit ? items.at(-1)!.id : null });
  });

  app.get('/payments/:id', async (c) => {
    const payment = await findPayment(store, c.req.param('id'));
    return c.json(payment);
  });

  app.post('/payments', async (c) => {
    const payment = await store.create(parseNewPayment(await readJsonObject(c)));
    return c.json(payment, 201);
  });

  app.post('/payments/:id/settle', async (c) => {
    const body = await readJsonObject(c);
    const payment = await findPayment(store, c.req.param('id'));
    const answer = await settlePaymentRequest(payment, body, settlement);
    return c.json(answer.body as object, answer.status);
  });

  app.use('/paid/*', limiter.middleware);
  app.get('/paid/:resource', paidResource({ ...settlement, price: config.paidResourcePrice, payTo: config.paidResourcePayTo, maxTimeoutSeconds: PAID_RESOURCE_TIMEOUT_SECONDS }));

  const handle = jsonErrorHandler(log, [{ error: DatabaseUnavailableError, answer: 'database unavailable', log: 'database unavailable' }]);
  app.notFound(jsonNotFound);
  app.onError((error, c) => (error instanceof AuthorizationInUseError ? c.json({ error: error.message, field: 'authorization.nonce' }, 409) : handle(error, c)));

  return app;
}

async function findPayment(store: PaymentsStore, id: string): Promise<Payment> {
  if (!isPaymentId(id)) throw badRequest('id must be a payment id (an integer from 1 to 9223372036854775807)', 'id');
  const payment = await store.get(id);
  if (payment === undefined) throw new HTTPException(404, { res: Response.json({ error: `payment ${id} not found` }, { status: 404 }) });
  return payment;
}
