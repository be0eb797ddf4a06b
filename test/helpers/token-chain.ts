import { signAuthorization, type AuthorizationTerms, type TokenDomain } from '@twinkle/facilitator/authorization';
import { loadTokenArtifact } from '@twinkle/token/artifact';
import { deployToken, type DeployedToken } from '@twinkle/token/deploy';
import { createPublicClient, createWalletClient, http, parseEventLogs, type Abi, type Address, type Hex, type LocalAccount, type PublicClient, type TransactionReceipt } from 'viem';
import { startAnvil, type Anvil } from './anvil.js';

/** What each development account holds after deployment: 1000 tUSD. */
export const TOKENS_EACH = 1000n * 10n ** 6n;

/** An Anvil chain with Twinkle USD deployed and 1000 tUSD minted to every development account. */
export interface TokenChain {
  readonly anvil: Anvil;
  readonly token: DeployedToken;
  readonly domain: TokenDomain;
  readonly abi: Abi;
  readonly client: PublicClient;
  /** `TOKEN_ADDRESS` (and friends) for the facilitator. */
  readonly facilitatorEnv: Record<string, string>;
  /** Token balance in base units. */
  balanceOf(account: Address): Promise<bigint>;
  /** Native (gas) balance in wei. */
  ethBalance(account: Address): Promise<bigint>;
  sign(payer: LocalAccount, terms: AuthorizationTerms, domain?: TokenDomain): ReturnType<typeof signAuthorization>;
  /** Sends a token call from a development account (a payer moving its tokens, someone else using an authorization). */
  write(from: LocalAccount, functionName: string, args: readonly unknown[], gasPrice?: bigint): Promise<Hex>;
  receipt(hash: Hex): Promise<TransactionReceipt>;
  /** The token's events in a receipt, decoded. */
  events(receipt: TransactionReceipt): Array<{ eventName: string; args: Record<string, unknown> }>;
  /** Every `AuthorizationUsed` of `authorizer` and `nonce` on the chain. */
  authorizationUses(authorizer: Address, nonce: Hex): Promise<number>;
  /** The facilitator account's transaction count, pending included. */
  sentBy(account: Address): Promise<number>;
  /** Resolves once `account` has a transaction in the pool (mining off). */
  waitForPoolTransaction(account: Address, count: number): Promise<void>;
  mine(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Anvil, deploys Twinkle USD; with `noMining`, then turns automatic mining off. */
export async function startTokenChain(options: { noMining?: boolean } = {}): Promise<TokenChain> {
  const anvil = await startAnvil();
  const token = await deployToken({ rpcUrl: anvil.url, deployer: anvil.accounts[4]!, holders: anvil.accounts.map((a) => a.address), amountEach: TOKENS_EACH });
  if (options.noMining) await anvil.rpc('evm_setAutomine', [false]);
  const { abi } = loadTokenArtifact().artifact;
  const chain = { id: anvil.chainId, name: 'anvil', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [anvil.url] } } } as const;
  const client = createPublicClient({ chain, transport: http(anvil.url), pollingInterval: 50 }) as PublicClient;
  const domain: TokenDomain = { name: token.name, version: token.version, chainId: anvil.chainId, verifyingContract: token.address };
  return {
    anvil,
    token,
    domain,
    abi,
    client,
    facilitatorEnv: { TOKEN_ADDRESS: token.address, TOKEN_NAME: token.name, TOKEN_VERSION: token.version, CHAIN_ID: String(anvil.chainId) },
    balanceOf: (account) => client.readContract({ address: token.address, abi, functionName: 'balanceOf', args: [account], blockTag: 'latest' }) as Promise<bigint>,
    ethBalance: (account) => client.getBalance({ address: account }),
    sign: (payer, terms, other = domain) => signAuthorization(payer, terms, other),
    write: (from, functionName, args, gasPrice) =>
      createWalletClient({ account: from, chain, transport: http(anvil.url) }).writeContract({ address: token.address, abi, functionName, args, gas: 200_000n, ...(gasPrice === undefined ? {} : { gasPrice }) }),
    receipt: (hash) => client.waitForTransactionReceipt({ hash, timeout: 20_000 }),
    events: (receipt) => parseEventLogs({ abi, logs: receipt.logs }) as unknown as Array<{ eventName: string; args: Record<string, unknown> }>,
    async authorizationUses(authorizer, nonce) {
      const logs = await client.getLogs({ address: token.address, fromBlock: 0n, toBlock: 'latest' });
      return (parseEventLogs({ abi, logs }) as unknown as Array<{ eventName: string; args: { authorizer?: string; nonce?: string } }>).filter(
        (e) => e.eventName === 'AuthorizationUsed' && e.args.authorizer?.toLowerCase() === authorizer.toLowerCase() && e.args.nonce === nonce,
      ).length;
    },
    sentBy: (account) => client.getTransactionCount({ address: account, blockTag: 'pending' }),
    async waitForPoolTransaction(account, count) {
      const deadline = Date.now() + 15_000;
      while ((await client.getTransactionCount({ address: account, blockTag: 'pending' })) < count) {
        if (Date.now() > deadline) throw new Error(`no transaction ${count} of ${account} in the pool`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    mine: async () => void (await anvil.rpc('evm_mine')),
    stop: () => anvil.stop(),
  };
}
