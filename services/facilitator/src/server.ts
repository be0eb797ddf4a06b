import { getLogger } from '@twinkle/agent/api';
import { closeRedisClient, createRedisClient, redisReady } from '@twinkle/service-kit/redis';
import { serveApp } from '@twinkle/service-kit/serve';
import { privateKeyToAccount } from 'viem/accounts';
import { createFacilitatorApp } from './app.js';
import { AuthorizationClaims } from './authorization-claims.js';
import { createChainClient } from './chain.js';
import { readFacilitatorConfig } from './config.js';
import { Eip3009Token } from './eip3009-token.js';
import { NonceManager } from './nonce-manager.js';
import { Settler } from './settler.js';
import { checkTokenDomain } from './token-domain-check.js';

const log = getLogger();
const { config, problems } = readFacilitatorConfig();
for (const problem of problems) log.warn(problem);

const redis = createRedisClient(config.redisUrl, config.dependencyTimeoutMs);
if (!(await redisReady(redis, config.dependencyTimeoutMs))) log.warn(`Redis not reachable within ${config.dependencyTimeoutMs} ms; starting anyway (retrying in the background)`);
const client = createChainClient(config);
const claims = new AuthorizationClaims(redis, config.dependencyTimeoutMs);
const token = config.tokenAddress === undefined ? undefined : new Eip3009Token(client, { name: config.tokenName, version: config.tokenVersion, chainId: config.chainId, verifyingContract: config.tokenAddress });
if (token !== undefined) void checkTokenDomain(token, log);
// The nonce lock is held for the checks, signing and one broadcast through every endpoint.
const lockTtlMs = config.rpcTimeoutMs * (config.rpcUrls.length + 1) + 5000;
const lockWaitMs = 15_000;
let settler: Settler | undefined;
if (config.privateKey !== undefined && token !== undefined) {
  const account = privateKeyToAccount(config.privateKey);
  const nonces = new NonceManager({
    redis,
    address: account.address,
    chainId: config.chainId,
    chainNonce: () => client.getTransactionCount({ address: account.address, blockTag: 'pending' }),
    lockTtlMs,
    lockWaitMs,
    redisTimeoutMs: config.dependencyTimeoutMs,
    log,
  });
  settler = new Settler({ client, account, token, nonces, claims, receiptTimeoutMs: config.receiptTimeoutMs, log });
  log.info({ account: account.address, tokenAddress: token.address, rpcEndpoints: config.rpcUrls.length, chainId: config.chainId }, 'settling on the token from the facilitator account');
}

serveApp(createFacilitatorApp({ config, redis, client, claims, token, settler, inFlightMs: lockWaitMs + lockTtlMs }), {
  service: 'facilitator',
  host: config.host,
  port: config.port,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  log,
  closers: [{ name: 'redis', close: () => closeRedisClient(redis) }],
});
