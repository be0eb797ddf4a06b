import { withSettlement } from '@twinkle/agent/api';
import type { Logger } from 'pino';
import { hashTypedData, keccak256, WaitForTransactionReceiptTimeoutError, type Hex, type PrivateKeyAccount, type PublicClient, type TransactionReceipt } from 'viem';
import { authorizationTypedData, type SettlementRequest } from './authorization.js';
import type { AuthorizationClaims } from './authorization-claims.js';
import { summarizeChainError, type ChainErrorSummary } from './chain-error.js';
import type { Eip3009Token } from './eip3009-token.js';
import type { NonceManager } from './nonce-manager.js';
import { SettlementFailedError } from './settlement-failed-error.js';

export type SettleResult =
  | { readonly status: 'success' | 'pending'; readonly transaction: Hex }
  | {
      readonly status: 'failure';
      readonly reason: string;
      readonly transaction: Hex | undefined;
      readonly alreadyUsed: boolean;
      /** Whether a transaction reached the chain (then it was mined and reverted, or lacked the token's events). */
      readonly reachedChain: boolean;
      /** Set when the token refused it: its custom error's name (`ERC20InsufficientBalance`) or `revert`; undefined when the node or transport failed. */
      readonly tokenError: string | undefined;
    };

export interface SettlerOptions {
  readonly client: PublicClient;
  /** The facilitator's account: it sends the token call and pays the gas, nothing else. */
  readonly account: PrivateKeyAccount;
  readonly token: Eip3009Token;
  readonly nonces: NonceManager;
  readonly claims: AuthorizationClaims;
  readonly receiptTimeoutMs: number;
  readonly log: Logger;
}

/**
 * Settles a verified, claimed authorization on the token: the facilitator's account sends
 * `transferWithAuthorization` with the payer's signature (so the payer's tokens move and
 * the facilitator pays only gas), and waits a bounded time for the receipt.
 *
 * Under the nonce lock, right before signing, the token is asked whether the
 * authorization was used (pending transactions included) and the call is simulated: a
 * used authorization is never sent again, whatever Redis remembers, and a transfer the
 * token would refuse fails with its reason without costing gas. Once broadcast, only a
 * receipt decides: no receipt in time (or no answer from the node) is `pending`, never
 * `failure`. Each settlement is recorded through `@twinkle/agent/api`.
 */
export class Settler {
  constructor(private readonly options: SettlerOptions) {}

  /** The account that sends the settlements and pays their gas. */
  get address(): Hex {
    return this.options.account.address;
  }

  async settle(request: SettlementRequest): Promise<SettleResult> {
    let transaction: Hex | undefined;
    try {
      return await withSettlement(request.type, async (settlement): Promise<SettleResult> => {
        let gas: bigint;
        try {
          ({ transaction, gas } = await this.broadcast(request));
        } catch (error) {
          throw SettlementFailedError.from(error, undefined, false);
        }
        try {
          await this.recordSent(request, transaction);
          const receipt = await this.receipt(request, transaction);
          if (receipt === undefined) {
            settlement.markPending();
            return { status: 'pending', transaction };
          }
          await this.checkReceipt(request, receipt, gas);
          return { status: 'success', transaction };
        } catch (error) {
          throw SettlementFailedError.from(error, transaction, true);
        }
      });
    } catch (error) {
      const failure = SettlementFailedError.from(error, transaction, transaction !== undefined);
      const fields = { type: request.type, payer: request.authorization.from, authorizationHash: this.authorizationHash(request), txHash: failure.transaction };
      // One short line: the class and the chain's reason, not viem's message (the raw signed
      // transaction, request arguments, docs links) nor a stack; those are at debug.
      this.options.log.warn({ ...fields, err: { type: failure.errorClass, message: failure.reason } }, 'settlement failed');
      this.options.log.debug({ ...fields, err: error }, 'settlement failed: the whole error');
      if (!failure.reachedChain && !failure.alreadyUsed) await this.release(request);
      return { status: 'failure', reason: failure.reason, transaction: failure.transaction, alreadyUsed: failure.alreadyUsed, reachedChain: failure.reachedChain, tokenError: failure.tokenError };
    }
  }

  /** Checks, simulates, signs and sends under the nonce lock; resolves with the transaction hash once a node has it (or may have it). */
  private async broadcast(request: SettlementRequest): Promise<{ transaction: Hex; gas: bigint }> {
    const { client, account, token, nonces, log } = this.options;
    return nonces.withNextNonce(async (nonce) => {
      const [used, estimate, gasPrice] = await Promise.allSettled([
        token.authorizationUsed(request.authorization, 'pending'),
        token.estimateTransfer(request, account.address, 'pending'),
        client.getGasPrice(),
      ]);
      if (used.status === 'fulfilled' && used.value) throw new SettlementFailedError('authorization already used', SettlementFailedError.name, undefined, false, true);
      for (const result of [used, estimate, gasPrice]) if (result.status === 'rejected') throw result.reason;
      // A fifth over the estimate: the same call, but the state may move before it is mined.
      const gas = (estimate as PromiseFulfilledResult<bigint>).value * 6n / 5n;
      const serializedTransaction = await account.signTransaction({
        type: 'legacy',
        chainId: token.domain.chainId,
        nonce,
        to: token.address,
        data: token.transferData(request),
        gas,
        gasPrice: (gasPrice as PromiseFulfilledResult<bigint>).value,
      });
      const transaction = keccak256(serializedTransaction);
      try {
        await client.sendRawTransaction({ serializedTransaction });
      } catch (error) {
        if (nodeRefused(error)) throw error;
        // No answer (a timeout, a dropped connection): the node may have it. Its hash is
        // known, so the receipt decides rather than a guess.
        log.warn({ txHash: transaction, ...summarizeChainError(error) }, 'broadcast not acknowledged; waiting for its receipt');
      }
      return { transaction, gas };
    });
  }

  /** Before the receipt is awaited: the hash on the claim (so a later status query finds it) and in the log. */
  private async recordSent(request: SettlementRequest, transaction: Hex): Promise<void> {
    const { claims, log } = this.options;
    log.info({ type: request.type, payer: request.authorization.from, authorizationHash: this.authorizationHash(request), txHash: transaction }, 'settlement sent');
    await claims.recordTransaction(request.authorization, transaction).catch((error: unknown) => {
      log.warn({ txHash: transaction, err: error }, 'could not record the transaction on the authorization claim; the chain still has it');
    });
  }

  /** The receipt, or undefined when none came in time or the node stopped answering (the outcome is then unknown: pending). */
  private async receipt(request: SettlementRequest, transaction: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.options.client.waitForTransactionReceipt({ hash: transaction, timeout: this.options.receiptTimeoutMs, retryCount: 0 });
    } catch (error) {
      if (!(error instanceof WaitForTransactionReceiptTimeoutError)) {
        this.options.log.warn({ type: request.type, txHash: transaction, ...summarizeChainError(error) }, 'could not wait for the receipt; the settlement is pending');
      }
      return undefined;
    }
  }

  /** A mined transaction succeeded only if it reverted not and the token says so in its events. */
  private async checkReceipt(request: SettlementRequest, receipt: TransactionReceipt, gas: bigint): Promise<void> {
    const transaction = receipt.transactionHash;
    if (receipt.status === 'reverted') {
      const { reason, errorClass, tokenError } = receipt.gasUsed >= gas ? { reason: 'transaction ran out of gas', errorClass: SettlementFailedError.name } : await this.revertReason(request, receipt.blockNumber);
      throw new SettlementFailedError(reason, errorClass, transaction, true, false, tokenError);
    }
    const { authorizationUsed, transferred } = this.options.token.settledIn(receipt, request.authorization);
    if (!authorizationUsed || !transferred) {
      throw new SettlementFailedError(`the transaction has no ${authorizationUsed ? 'Transfer' : 'AuthorizationUsed'} event of the token for this authorization`, SettlementFailedError.name, transaction, true);
    }
  }

  /** Why a mined call reverted: the same call simulated on the state its block left (a receipt carries no reason). */
  private async revertReason(request: SettlementRequest, blockNumber: bigint): Promise<ChainErrorSummary> {
    try {
      await this.options.token.estimateTransfer(request, this.options.account.address, blockNumber);
      return { reason: 'transaction reverted', errorClass: SettlementFailedError.name };
    } catch (error) {
      return summarizeChainError(error);
    }
  }

  private async release(request: SettlementRequest): Promise<void> {
    await this.options.claims.release(request.authorization).catch(() => {
      this.options.log.warn({ payer: request.authorization.from, authorizationHash: this.authorizationHash(request) }, 'could not release the authorization claim (Redis unavailable); it can be retried once the claim expires');
    });
  }

  private authorizationHash(request: SettlementRequest): Hex {
    return hashTypedData(authorizationTypedData(request.authorization, this.options.token.domain));
  }
}

/** The node answered with an error, or nobody was listening: the transaction is in no pool. */
function nodeRefused(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' || code === 'ECONNREFUSED') return true;
  }
  return false;
}
