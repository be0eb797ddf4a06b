import { withSettlement } from '@twinkle/agent/api';
import type { Logger } from 'pino';
import { BaseError, WaitForTransactionReceiptTimeoutError, type Hex, type PrivateKeyAccount, type PublicClient } from 'viem';
import type { SettlementRequest } from './authorization.js';
import type { AuthorizationClaims } from './authorization-claims.js';
import { NonceManagerUnavailableError, type NonceManager } from './nonce-manager.js';

export type SettleResult =
  | { readonly status: 'success' | 'pending'; readonly transaction: Hex }
  | { readonly status: 'failure'; readonly reason: string; readonly transaction: Hex | undefined };

/** Enough gas for a value transfer carrying the 32-byte authorization nonce as data. */
const TRANSFER_GAS = 60_000n;

export interface SettlerOptions {
  readonly client: PublicClient;
  readonly account: PrivateKeyAccount;
  readonly chainId: number;
  readonly nonces: NonceManager;
  readonly claims: AuthorizationClaims;
  readonly receiptTimeoutMs: number;
  readonly log: Logger;
}

/**
 * Settles a verified, claimed authorization on chain: the facilitator's account sends
 * `value` to `to` with the authorization's nonce as data, and waits a bounded time for
 * the receipt. Each settlement is recorded through `@twinkle/agent/api`: success, failure
 * (reverted, refused, every RPC endpoint down), or pending (no receipt in time).
 */
export class Settler {
  constructor(private readonly options: SettlerOptions) {}

  async settle(request: SettlementRequest): Promise<SettleResult> {
    const { client, nonces, receiptTimeoutMs } = this.options;
    let attempted = false;
    let transaction: Hex | undefined;
    try {
      return await withSettlement(request.type, async (settlement): Promise<SettleResult> => {
        const gasPrice = await client.getGasPrice();
        transaction = await nonces.withNextNonce(async (nonce) => {
          const serializedTransaction = await this.sign(request, nonce, gasPrice);
          attempted = true;
          return client.sendRawTransaction({ serializedTransaction });
        });
        const hash = transaction;
        try {
          const receipt = await client.waitForTransactionReceipt({ hash, timeout: receiptTimeoutMs, retryCount: 0 });
          if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
        } catch (error) {
          if (!(error instanceof WaitForTransactionReceiptTimeoutError)) throw error;
          settlement.markPending();
          return { status: 'pending', transaction: hash };
        }
        return { status: 'success', transaction: hash };
      });
    } catch (error) {
      this.options.log.warn({ err: error, type: request.type, transaction }, 'settlement failed');
      if (!attempted || (transaction === undefined && neverReachedTheChain(error))) {
        await this.options.claims.release(request.authorization).catch((releaseError: unknown) => {
          this.options.log.warn({ err: releaseError }, 'could not release the authorization claim; the payer must sign a new authorization');
        });
      }
      return { status: 'failure', reason: describe(error), transaction };
    }
  }

  private sign(request: SettlementRequest, nonce: number, gasPrice: bigint): Promise<Hex> {
    const { authorization } = request;
    return this.options.account.signTransaction({
      type: 'legacy',
      chainId: this.options.chainId,
      nonce,
      to: authorization.to,
      value: authorization.value,
      data: authorization.nonce,
      gas: TRANSFER_GAS,
      gasPrice,
    });
  }
}

/** The node answered with an error, or nobody was listening: the transaction was not accepted anywhere. */
function neverReachedTheChain(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof NonceManagerUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' || code === 'ECONNREFUSED') return true;
  }
  return false;
}

/** A reason for the response without endpoint URLs (viem's full messages name them). */
function describe(error: unknown): string {
  if (error instanceof BaseError) return error.details && error.details !== error.shortMessage ? `${error.shortMessage} (${error.details})` : error.shortMessage;
  if (error instanceof NonceManagerUnavailableError) return error.message;
  return error instanceof Error ? error.message : 'settlement failed';
}
