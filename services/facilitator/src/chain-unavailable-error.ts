import { summarizeChainError } from './chain-error.js';

/** No RPC endpoint answered a read the answer depends on: answered 503, nothing was sent. */
export class ChainUnavailableError extends Error {
  override readonly name = 'ChainUnavailableError';
}

/**
 * `read`, with any failure as a `ChainUnavailableError`. Its cause (what the error handler
 * logs) is the short summary, not viem's error: that one runs to a kilobyte per line.
 */
export async function readChain<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    const { reason, errorClass } = summarizeChainError(error);
    const cause = new Error(reason);
    cause.name = errorClass;
    delete cause.stack;
    throw new ChainUnavailableError('no RPC endpoint answered', { cause });
  }
}
