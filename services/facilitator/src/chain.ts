import { createPublicClient, defineChain, fallback, http, type PublicClient } from 'viem';
import type { FacilitatorConfig } from './config.js';

/**
 * A JSON-RPC client over every `RPC_URL` entry: a call goes to the first endpoint and
 * falls back to the next when one fails or does not answer within `rpcTimeoutMs`. Calls
 * go through `fetch`, so the agent traces each one as a JSON-RPC client span.
 */
export function createChainClient(config: Pick<FacilitatorConfig, 'rpcUrls' | 'chainId' | 'rpcTimeoutMs'>): PublicClient {
  const chain = defineChain({
    id: config.chainId,
    name: `chain ${config.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: config.rpcUrls } },
  });
  const transports = config.rpcUrls.map((url) => http(url, { timeout: config.rpcTimeoutMs, retryCount: 0 }));
  return createPublicClient({ chain, transport: fallback(transports, { retryCount: 0 }), pollingInterval: 250 });
}
