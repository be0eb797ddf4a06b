import { getLogger } from '@twinkle/agent/api';
import { closeRedisClient, createRedisClient, redisReady } from '@twinkle/service-kit/redis';
import { serveApp } from '@twinkle/service-kit/serve';
import { privateKeyToAccount } from 'viem/accounts';
import { createFacilitatorApp } from './app.js';
import { AuthorizationClaims } from './authorization-claims.js';
import { createChainClient } from './chain.js';
import { readFacilitatorConfig } from './config.js';
import { NonceManager } from './nonce-manager.js';
import { Settler } from './settler.js';

const log = getLogger();
const { config, problems } = readFacilitatorConfig();
for (const problem of problems) log.warn(problem);

const redis = createRedisClient(config.redisUrl, config.dependencyTimeoutMs);
if (!(await redisReady(redis, config.dependencyTimeoutMs))) log.warn(`Redis not reachable within ${config.dependencyTimeoutMs} ms; starting anyway (retrying in the background)`);
const client = createChainClient(config);
const claims = new AuthorizationClaims(redis, config.dependencyTimeoutMs);
let settler: Settler | undefined;
if (config.privateKey !== undefined) {
  const account = privateKeyToAccount(config.privateKey);
  const nonces = new NonceManager({
    redis,
    address: account.address,
    chainId: config.chainId,
    chainNonce: () => client.getTransactionCount({ address: account.address, blockTag: 'pending' }),
    lockTtlMs: config.rpcTimeoutMs * (config.rpcUrls.length + 1) + 5000,
    lockWaitMs: 15_000,
    redisTimeoutMs: config.dependencyTimeoutMs,
    log,
  });
  settler = new Settler({ client, account, chainId: config.chainId, nonces, claims, receiptTimeoutMs: config.receiptTimeoutMs, log });
  log.info({ account: account.address, rpcEndpoints: config.rpcUrls.length, chainId: config.chainId }, 'settling from the facilitator account');
}

serveApp(createFacilitatorApp({ config, redis, client, claims, settler }), {
  service: 'facilitator',
  host: config.host,
  port: config.port,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  log,
  closers: [{ name: 'redis', close: () => closeRedisClient(redis) }],
});
