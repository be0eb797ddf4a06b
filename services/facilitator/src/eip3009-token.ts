import { encodeFunctionData, hashDomain, parseEventLogs, parseSignature, type Address, type Hex, type PublicClient, type TransactionReceipt } from 'viem';
import type { PaymentAuthorization, SettlementRequest, TokenDomain } from './authorization.js';
import { EIP3009_ABI } from './eip3009-abi.js';

/** Where on the chain a read is made: the newest block, the node's pending state (its pool included), or a given block. */
export type ChainState = 'latest' | 'pending' | bigint;

/** How far back (in blocks) the `AuthorizationUsed` event of an authorization is searched for. */
const USE_LOOKBACK_BLOCKS = 100_000n;

const at = (state: ChainState): { blockTag: 'latest' | 'pending' } | { blockNumber: bigint } => (typeof state === 'bigint' ? { blockNumber: state } : { blockTag: state });

/**
 * The EIP-3009 token the facilitator settles on, read and called through the chain
 * client (so every call is a traced JSON-RPC span). The chain is the source of truth for
 * whether an authorization was used: `authorizationState` on chain, not the facilitator's
 * memory of what it sent.
 */
export class Eip3009Token {
  constructor(
    private readonly client: PublicClient,
    readonly domain: TokenDomain,
  ) {}

  get address(): Address {
    return this.domain.verifyingContract;
  }

  /** Whether the token has used (or seen canceled) `nonce` of `authorizer`. */
  authorizationUsed(authorization: Pick<PaymentAuthorization, 'from' | 'nonce'>, state: ChainState): Promise<boolean> {
    return this.client.readContract({ address: this.address, abi: EIP3009_ABI, functionName: 'authorizationState', args: [authorization.from, authorization.nonce], ...at(state) });
  }

  balanceOf(account: Address, state: ChainState): Promise<bigint> {
    return this.client.readContract({ address: this.address, abi: EIP3009_ABI, functionName: 'balanceOf', args: [account], ...at(state) });
  }

  /** The token's `DOMAIN_SEPARATOR()`, and the one the configured domain gives. */
  async domainSeparators(): Promise<{ onChain: Hex; configured: Hex }> {
    const onChain = await this.client.readContract({ address: this.address, abi: EIP3009_ABI, functionName: 'DOMAIN_SEPARATOR' });
    const { name, version, chainId, verifyingContract } = this.domain;
    return { onChain, configured: hashDomain({ domain: { name, version, chainId: BigInt(chainId), verifyingContract }, types: { EIP712Domain: EIP712_DOMAIN_FIELDS } }) };
  }

  /** The calldata of `transferWithAuthorization` with the payer's signature split into v, r, s. */
  transferData(request: SettlementRequest): Hex {
    return encodeFunctionData({ abi: EIP3009_ABI, functionName: 'transferWithAuthorization', args: this.transferArgs(request) });
  }

  /**
   * Simulates the transfer as `sender` would send it, on the given state, and returns its
   * gas; rejects with the token's revert (decoded through the ABI) when it would fail.
   */
  estimateTransfer(request: SettlementRequest, sender: Address, state: ChainState): Promise<bigint> {
    return this.client.estimateContractGas({ address: this.address, abi: EIP3009_ABI, functionName: 'transferWithAuthorization', args: this.transferArgs(request), account: sender, ...at(state) });
  }

  /** The transaction that used the authorization, from its `AuthorizationUsed` event (in the last 100000 blocks). */
  async findUse(authorization: Pick<PaymentAuthorization, 'from' | 'nonce'>): Promise<Hex | undefined> {
    const latest = await this.client.getBlockNumber({ cacheTime: 0 });
    const logs = await this.client.getLogs({
      address: this.address,
      event: AUTHORIZATION_USED,
      args: { authorizer: authorization.from, nonce: authorization.nonce },
      fromBlock: latest > USE_LOOKBACK_BLOCKS ? latest - USE_LOOKBACK_BLOCKS : 0n,
      toBlock: latest,
    });
    return logs[0]?.transactionHash ?? undefined;
  }

  /** Whether a receipt carries this token's `AuthorizationUsed` for the authorization and its `Transfer`. */
  settledIn(receipt: TransactionReceipt, authorization: PaymentAuthorization): { authorizationUsed: boolean; transferred: boolean } {
    const events = parseEventLogs({ abi: EIP3009_ABI, logs: receipt.logs.filter((log) => log.address.toLowerCase() === this.address.toLowerCase()) });
    const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
    return {
      authorizationUsed: events.some((e) => e.eventName === 'AuthorizationUsed' && same(e.args.authorizer, authorization.from) && same(e.args.nonce, authorization.nonce)),
      transferred: events.some((e) => e.eventName === 'Transfer' && same(e.args.from, authorization.from) && same(e.args.to, authorization.to) && e.args.value === authorization.value),
    };
  }

  private transferArgs({ authorization: a, signature }: SettlementRequest) {
    const { r, s, v, yParity } = parseSignature(signature);
    return [a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce, Number(v ?? BigInt(yParity + 27)), r, s] as const;
  }
}

const AUTHORIZATION_USED = EIP3009_ABI.find((item) => item.type === 'event' && item.name === 'AuthorizationUsed')! as Extract<(typeof EIP3009_ABI)[number], { name: 'AuthorizationUsed' }>;

const EIP712_DOMAIN_FIELDS = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
] as const;
