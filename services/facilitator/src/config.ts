import { EnvReader, type Env } from '@twinkle/service-kit/env';
import { getAddress, isAddress, type Address } from 'viem';

/** The facilitator's configuration, read from the environment in this one place. */
export interface FacilitatorConfig {
  /** `HOST` @default 127.0.0.1 */
  readonly host: string;
  /** `PORT` @default 3001 */
  readonly port: number;
  /** `REDIS_URL` @default redis://127.0.0.1:6379 */
  readonly redisUrl: string;
  /** `RPC_URL`: JSON-RPC endpoints, comma-separated, tried in order. @default http://127.0.0.1:8545 */
  readonly rpcUrls: readonly string[];
  /** `CHAIN_ID`: the chain the authorizations are signed for and transactions sent on. @default 31337 (Anvil) */
  readonly chainId: number;
  /**
   * `TOKEN_ADDRESS`: the EIP-3009 token (Twinkle USD on the local chain, USDC elsewhere)
   * whose authorizations are verified and settled (required; `npm start` deploys one).
   */
  readonly tokenAddress: Address | undefined;
  /** `TOKEN_NAME`: the token's EIP-712 domain name. @default Twinkle USD */
  readonly tokenName: string;
  /** `TOKEN_VERSION`: the token's EIP-712 domain version. @default 1 */
  readonly tokenVersion: string;
  /** `FACILITATOR_PRIVATE_KEY`: the account that sends settlement transactions and pays their gas (required). */
  readonly privateKey: `0x${string}` | undefined;
  /** `RECEIPT_TIMEOUT_MS`: how long a settlement waits for its receipt before it is `pending`. @default 20000 */
  readonly receiptTimeoutMs: number;
  /** `RPC_TIMEOUT_MS`: bound on one JSON-RPC call to one endpoint. @default 5000 */
  readonly rpcTimeoutMs: number;
  /** `HEALTH_CHECK_TIMEOUT_MS` @default 1000 */
  readonly healthCheckTimeoutMs: number;
  /** `DEPENDENCY_TIMEOUT_MS`: bound on one Redis command. @default 2000 */
  readonly dependencyTimeoutMs: number;
  /** `SHUTDOWN_TIMEOUT_MS` @default 30000 (a settlement may be waiting for its receipt) */
  readonly shutdownTimeoutMs: number;
}

/** Reads the facilitator's settings; `problems` holds one line per bad value. */
export function readFacilitatorConfig(env: Env = process.env): { config: FacilitatorConfig; problems: string[] } {
  const read = new EnvReader(env);
  const key = env.FACILITATOR_PRIVATE_KEY?.trim();
  const privateKey = key !== undefined && /^0x[0-9a-fA-F]{64}$/.test(key) ? (key as `0x${string}`) : undefined;
  // Never echo the value: it is a private key.
  if (privateKey === undefined) read.problems.push(key ? 'FACILITATOR_PRIVATE_KEY is not valid (accepted: 0x followed by 64 hex digits); settlements are refused' : 'FACILITATOR_PRIVATE_KEY is not set; settlements are refused');
  const token = env.TOKEN_ADDRESS?.trim();
  const tokenAddress = token !== undefined && isAddress(token) ? getAddress(token) : undefined;
  if (tokenAddress === undefined) read.problems.push(token ? `TOKEN_ADDRESS=${JSON.stringify(token)} is not valid (accepted: a 0x-prefixed 20-byte hex address, checksummed if mixed-case); verifications and settlements are refused` : 'TOKEN_ADDRESS is not set; verifications and settlements are refused');
  const config: FacilitatorConfig = {
    host: read.string('HOST', '127.0.0.1'),
    port: read.port('PORT', 3001),
    redisUrl: read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss']),
    rpcUrls: read.urlList('RPC_URL', ['http://127.0.0.1:8545'], ['http', 'https']),
    chainId: read.integer('CHAIN_ID', 31337, 1, 2 ** 53 - 1),
    tokenAddress,
    tokenName: read.string('TOKEN_NAME', 'Twinkle USD'),
    tokenVersion: read.string('TOKEN_VERSION', '1'),
    privateKey,
    receiptTimeoutMs: read.integer('RECEIPT_TIMEOUT_MS', 20_000, 100, 600_000),
    rpcTimeoutMs: read.integer('RPC_TIMEOUT_MS', 5000, 10, 120_000),
    healthCheckTimeoutMs: read.integer('HEALTH_CHECK_TIMEOUT_MS', 1000, 10, 60_000),
    dependencyTimeoutMs: read.integer('DEPENDENCY_TIMEOUT_MS', 2000, 10, 60_000),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 30_000, 0, 600_000),
  };
  return { config, problems: read.problems };
}
