import { getLogger } from '@twinkle/agent/api';
import { jsonErrorHandler } from '@twinkle/service-kit/error-handler';
import { jsonNotFound } from '@twinkle/service-kit/not-found';
import { healthStatusCode, runHealthChecks } from '@twinkle/service-kit/health';
import { badRequest, readJsonObject } from '@twinkle/service-kit/json-body';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Redis } from 'ioredis';
import { getAddress, isAddress, type Hex, type PublicClient } from 'viem';
import { parseSettlementRequest, verifySettlementRequest } from './authorization.js';
import { ClaimsUnavailableError, type AuthorizationClaims } from './authorization-claims.js';
import { authorizationStatus } from './authorization-status.js';
import { ChainUnavailableError, readChain } from './chain-unavailable-error.js';
import type { FacilitatorConfig } from './config.js';
import type { Eip3009Token } from './eip3009-token.js';
import type { Settler } from './settler.js';
import { settleX402, verifyX402, type X402Dependencies } from './x402-handlers.js';
import { isX402Body, X402_SCHEME, X402_VERSION } from './x402-payment.js';

export interface FacilitatorDependencies {
  readonly config: FacilitatorConfig;
  readonly redis: Redis;
  readonly client: PublicClient;
  readonly claims: AuthorizationClaims;
  /** Undefined when no valid `TOKEN_ADDRESS` is configured. */
  readonly token: Eip3009Token | undefined;
  /** Undefined when no valid `FACILITATOR_PRIVATE_KEY` or `TOKEN_ADDRESS` is configured. */
  readonly settler: Settler | undefined;
  /** How long a settlement may hold a claim before broadcasting (see `authorizationStatus`). */
  readonly inFlightMs: number;
}

const nowSeconds = (): bigint => BigInt(Math.floor(Date.now() / 1000));
const ALREADY_USED = { error: 'authorization already used', field: 'authorization.nonce' } as const;

/**
 * The facilitator: verifies x402 payment authorizations (EIP-3009) against the token and
 * settles them on chain with the token's `transferWithAuthorization`.
 */
export function createFacilitatorApp({ config, redis, client, claims, token, settler, inFlightMs }: FacilitatorDependencies): Hono {
  const log = getLogger();
  const app = new Hono();
  const network = `eip155:${config.chainId}`;

  const requireToken = (): Eip3009Token => {
    if (token === undefined) throw new HTTPException(503, { res: Response.json({ error: 'no token configured: TOKEN_ADDRESS is not set' }, { status: 503 }) });
    return token;
  };

  app.get('/', (c) =>
    c.json({
      service: 'facilitator',
      version: '0.1.0',
      network,
      token: token === undefined ? null : { address: token.address, name: token.domain.name, version: token.domain.version },
    }),
  );

  app.get('/health', async (c) => {
    const report = await runHealthChecks('facilitator', { redis: () => redis.ping(), rpc: () => client.getBlockNumber({ cacheTime: 0 }) }, config.healthCheckTimeoutMs, log);
    return c.json(report, healthStatusCode(report));
  });

  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: 'body larger than 64 KiB' }, 413) }));

  /** `GET /supported` (x402): the one kind this facilitator settles, and the account that pays the gas. */
  app.get('/supported', (c) =>
    c.json({
      kinds: token === undefined ? [] : [{ x402Version: X402_VERSION, scheme: X402_SCHEME, network }],
      extensions: [],
      signers: settler === undefined ? {} : { 'eip155:*': [settler.address] },
    }),
  );

  const x402 = (): X402Dependencies => ({ network, token: requireToken(), claims, settler, nowSeconds: nowSeconds() });

  app.post('/verify', async (c) => {
    const body = await readJsonObject(c);
    if (isX402Body(body)) {
      const answer = await verifyX402(body, x402());
      return c.json(answer.body, answer.status);
    }
    const request = parseSettlementRequest(body);
    const { authorization } = request;
    const eip3009 = requireToken();
    await verifySettlementRequest(request, eip3009.domain, nowSeconds());
    const [used, balance] = await readChain(Promise.all([eip3009.authorizationUsed(authorization, 'pending'), eip3009.balanceOf(authorization.from, 'pending')]));
    if (used) return c.json(ALREADY_USED, 409);
    if (balance < authorization.value) throw badRequest(`insufficient balance: the payer holds ${balance} base units, the authorization is for ${authorization.value}`, 'authorization.value');
    return c.json({ isValid: true, payer: authorization.from });
  });

  app.post('/settle', async (c) => {
    const body = await readJsonObject(c);
    if (isX402Body(body)) {
      const answer = await settleX402(body, x402());
      return c.json(answer.body, answer.status);
    }
    const request = parseSettlementRequest(body);
    const { authorization } = request;
    const now = nowSeconds();
    const eip3009 = requireToken();
    await verifySettlementRequest(request, eip3009.domain, now);
    if (settler === undefined) return c.json({ error: 'settlements are disabled: FACILITATOR_PRIVATE_KEY is not configured' }, 503);
    // The chain first: an authorization it has used is refused whatever Redis remembers. If no
    // endpoint answers, the settlement's own check under the nonce lock fails it properly.
    if (await eip3009.authorizationUsed(authorization, 'pending').catch(() => false)) return c.json(ALREADY_USED, 409);
    if (!(await claims.claim(authorization, now))) return c.json(ALREADY_USED, 409);
    const result = await settler.settle(request);
    if (result.status === 'failure') {
      if (result.alreadyUsed) return c.json(ALREADY_USED, 409);
      return c.json({ success: false, status: 'failure', errorReason: result.reason, transaction: result.transaction ?? null, network, payer: authorization.from });
    }
    return c.json({ success: true, status: result.status, transaction: result.transaction, network, payer: authorization.from }, result.status === 'pending' ? 202 : 200);
  });

  app.get('/authorizations/:from/:nonce', async (c) => {
    const authorization = parseAuthorizationId(c);
    const status = await readChain(authorizationStatus(authorization, { client, token: requireToken(), claims, inFlightMs, log }));
    return c.json({ ...status, network, payer: authorization.from });
  });

  app.notFound(jsonNotFound);
  app.onError(
    jsonErrorHandler(log, [
      { error: ClaimsUnavailableError, answer: 'redis unavailable', log: 'Redis unavailable: cannot tell whether the authorization was claimed' },
      { error: ChainUnavailableError, answer: 'rpc unavailable', log: 'no RPC endpoint answered' },
    ]),
  );

  return app;
}

function parseAuthorizationId(c: Context): { from: `0x${string}`; nonce: Hex } {
  const from = c.req.param('from') ?? '';
  const nonce = c.req.param('nonce') ?? '';
  if (!isAddress(from, { strict: false })) throw badRequest('from must be a 0x-prefixed 20-byte hex address', 'from');
  if (!/^0x[0-9a-fA-F]{64}$/.test(nonce)) throw badRequest('nonce must be 0x followed by 64 hex digits', 'nonce');
  return { from: getAddress(from), nonce: nonce.toLowerCase() as Hex };
}
