import { createWalletClient, defineChain, getAddress, http, publicActions, type Address, type Hex, type LocalAccount } from 'viem';
import { loadTokenArtifact } from './artifact.js';
import { TWINKLE_USD } from './twinkle-usd.js';

export interface DeployTokenOptions {
  /** A JSON-RPC endpoint of the chain (Anvil's, for `npm start` and the tests). */
  readonly rpcUrl: string;
  /** Sends the deployment and pays its gas. */
  readonly deployer: LocalAccount;
  /** Each receives `amountEach` at deployment (say, the chain's development accounts). */
  readonly holders: readonly Address[];
  /** In base units (6 decimals: 1 tUSD is 1000000). */
  readonly amountEach: bigint;
  /** How long to wait for the deployment's receipt. @default 30000 */
  readonly timeoutMs?: number;
}

/** A deployed Twinkle USD: where it is, and what a facilitator must be told about it. */
export interface DeployedToken {
  readonly address: Address;
  readonly chainId: number;
  /** The EIP-712 domain's name and version (`TOKEN_NAME`, `TOKEN_VERSION` of the facilitator). */
  readonly name: string;
  readonly version: string;
  readonly symbol: string;
  readonly decimals: number;
  readonly transactionHash: Hex;
  /** How the bytecode was obtained, and how long that took. */
  readonly build: { readonly from: 'cache' | 'compiled'; readonly ms: number; readonly compiler: string };
}

/**
 * Deploys Twinkle USD (compiling it first when no cached build matches its source) and
 * mints `amountEach` to every holder, in one transaction; resolves once it is mined.
 * `npm start` and the tests call it on Anvil; any chain the deployer has gas on works.
 */
export async function deployToken(options: DeployTokenOptions): Promise<DeployedToken> {
  const { artifact, from, ms } = loadTokenArtifact();
  const transport = http(options.rpcUrl, { retryCount: 0 });
  const chainId = await createWalletClient({ transport }).getChainId();
  const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [options.rpcUrl] } } });
  const client = createWalletClient({ account: options.deployer, chain, transport, pollingInterval: 100 }).extend(publicActions);
  const transactionHash = await client.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [options.holders, options.amountEach] });
  const receipt = await client.waitForTransactionReceipt({ hash: transactionHash, timeout: options.timeoutMs ?? 30_000 });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`the Twinkle USD deployment ${transactionHash} reverted`);
  return {
    address: getAddress(receipt.contractAddress),
    chainId,
    name: TWINKLE_USD.name,
    version: TWINKLE_USD.version,
    symbol: TWINKLE_USD.symbol,
    decimals: TWINKLE_USD.decimals,
    transactionHash,
    build: { from, ms, compiler: artifact.compiler },
  };
}
