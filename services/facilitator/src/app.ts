import { getLogger } from '@twinkle/agent/api';
import { jsonErrorHandler } from '@twinkle/service-kit/error-handler';
import { healthStatusCode, runHealthChecks } from '@twinkle/service-kit/health';
import { readJsonObject } from '@twinkle/service-kit/json-body';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Redis } from 'ioredis';
import type { PublicClient } from 'viem';
import { parseSettlementRequest, verifySettlementRequest } from './authorization.js';
import { ClaimsUnavailableError, type AuthorizationClaims } from './authorization-claims.js';
import type { FacilitatorConfig } from './config.js';
import type { Settler } from './settler.js';

export interface FacilitatorDependencies {
  readonly config: FacilitatorConfig;
  readonly redis: Redis;
  readonly client: PublicClient;
  readonly claims: AuthorizationClaims;
  /** Undefined when no valid `FACILITATOR_PRIVATE_KEY` is configured. */
  readonly settler: Settler | undefined;
}

const nowSeconds = (): bigint => BigInt(Math.floor(Date.now() / 1000));

/** The facilitator: verifies x402-style authorizations and settles them on chain. */
export function createFacilitatorApp({ config, redis, client, claims, settler }: FacilitatorDependencies): Hono {
  const log = getLogger();
  const app = new Hono();

  app.get('/', (c) => c.json({ service: 'facilitator', version: '0.1.0', network: `eip155:${config.chainId}` }));

  app.get('/health', async (c) => {
    const report = await runHealthChecks('facilitator', { redis: () => redis.ping(), rpc: () => client.getBlockNumber({ cacheTime: 0 }) }, config.healthCheckTimeoutMs, log);
    return c.json(report, healthStatusCode(report));
  });

  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: 'body larger than 64 KiB' }, 413) }));

  app.post('/verify', async (c) => {
    const request = parseSettlementRequest(await readJsonObject(c));
    await verifySettlementRequest(request, config.chainId, nowSeconds());
    return c.json({ isValid: true, payer: request.authorization.from });
  });

  app.post('/settle', async (c) => {
    const request = parseSettlementRequest(await readJsonObject(c));
    const now = nowSeconds();
    await verifySettlementRequest(request, config.chainId, now);
    if (settler === undefined) return c.json({ error: 'settlements are disabled: FACILITATOR_PRIVATE_KEY is not configured' }, 503);
    if (!(await claims.claim(request.authorization, now))) return c.json({ error: 'authorization already used', field: 'authorization.nonce' }, 409);
    const result = await settler.settle(request);
    const network = `eip155:${config.chainId}`;
    if (result.status === 'failure') return c.json({ success: false, status: 'failure', errorReason: result.reason, transaction: result.transaction ?? null, network, payer: request.authorization.from });
    return c.json({ success: true, status: result.status, transaction: result.transaction, network, payer: request.authorization.from }, result.status === 'pending' ? 202 : 200);
  });

  app.onError(jsonErrorHandler(log, [{ error: ClaimsUnavailableError, answer: 'redis unavailable', log: 'Redis unavailable: cannot tell whether the authorization was used' }]));

  return app;
}
