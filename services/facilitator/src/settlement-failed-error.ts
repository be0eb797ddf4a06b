import type { Hex } from 'viem';
import { summarizeChainError } from './chain-error.js';

/**
 * A settlement that did not move the tokens. Its message is the short reason alone, so
 * the settlement span's status and the Sentry event (both recorded by `withSettlement`)
 * read "insufficient balance (ERC20InsufficientBalance)", not viem's kilobytes.
 */
export class SettlementFailedError extends Error {
  override readonly name = 'SettlementFailedError';

  constructor(
    readonly reason: string,
    /** The class of the error that gave the reason. */
    readonly errorClass: string,
    /** The transaction, when one was broadcast. */
    readonly transaction: Hex | undefined,
    /** Whether anything reached the chain: only when nothing did may the authorization be retried at once. */
    readonly reachedChain: boolean,
    /** The token had already used the authorization (found under the nonce lock). */
    readonly alreadyUsed = false,
    /** The token refused the call (a revert, simulated or mined): its custom error's name, or `revert`; undefined for any other failure (the node, the transport). */
    readonly tokenError?: string,
  ) {
    super(reason);
  }

  /** Any error of a settlement as a failure; one already converted is returned as it is. */
  static from(error: unknown, transaction: Hex | undefined, reachedChain: boolean): SettlementFailedError {
    if (error instanceof SettlementFailedError) return error;
    const { reason, errorClass, tokenError } = summarizeChainError(error);
    return new SettlementFailedError(reason, errorClass, transaction, reachedChain, false, tokenError);
  }
}
