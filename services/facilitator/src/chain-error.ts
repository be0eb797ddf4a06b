import { BaseError, ContractFunctionRevertedError, ExecutionRevertedError } from 'viem';
import { TOKEN_ERROR_REASONS } from './eip3009-abi.js';

/** What a failed chain call comes down to: a short reason, and the class of the error that gave it. */
export interface ChainErrorSummary {
  /** The token's revert (`insufficient balance (ERC20InsufficientBalance)`, `reverted: <revert string>`) or the node's or transport's short message. */
  readonly reason: string;
  /** The class name of the most specific error in the cause chain (`ContractFunctionRevertedError`, `HttpRequestError` ...). */
  readonly errorClass: string;
  /** Set when the token refused the call (a revert): its custom error's name (`ERC20InsufficientBalance`), or `revert` for a revert string or an unknown one. */
  readonly tokenError?: string;
}

const MAX_REASON = 200;

/**
 * A failed call as one short reason. viem's own messages run to kilobytes (request
 * arguments, the raw signed transaction, the endpoint's URL, docs links); only the part
 * that says why is kept.
 */
export function summarizeChainError(error: unknown): ChainErrorSummary {
  const chain = causeChain(error);
  const reverted = chain.find((e): e is ContractFunctionRevertedError => e instanceof ContractFunctionRevertedError);
  if (reverted !== undefined) {
    const name = reverted.data?.errorName;
    return { reason: revertReason(reverted), errorClass: reverted.name, tokenError: name !== undefined && name !== 'Error' ? name : 'revert' };
  }
  const executionReverted = chain.find((e): e is ExecutionRevertedError => e instanceof ExecutionRevertedError);
  if (executionReverted !== undefined) return { reason: cut(`reverted: ${executionReverted.details || executionReverted.shortMessage}`), errorClass: executionReverted.name, tokenError: 'revert' };
  const viem = chain.filter((e): e is BaseError => e instanceof BaseError);
  const specific = viem.at(-1);
  if (specific !== undefined) {
    // The outermost short message names the action ("HTTP request failed", "Transaction creation failed");
    // the node's own words, when it answered, are in the details.
    const outer = viem[0]!;
    const details = specific.details && specific.details !== outer.shortMessage ? `: ${firstLine(specific.details)}` : '';
    return { reason: cut(`${outer.shortMessage.replace(/\.$/, '')}${details}`), errorClass: specific.name };
  }
  // Our own errors (the nonce manager's) say why in their message.
  const outer = chain[0];
  if (outer instanceof Error) return { reason: cut(firstLine(outer.message)), errorClass: outer.name };
  return { reason: 'unknown error', errorClass: typeof error };
}

/** The token's reason for a revert: a known custom error's meaning and name, a revert string, or the raw selector. */
export function revertReason(error: ContractFunctionRevertedError): string {
  const name = error.data?.errorName;
  if (name !== undefined && name !== 'Error') return TOKEN_ERROR_REASONS[name] === undefined ? `reverted with ${name}` : `${TOKEN_ERROR_REASONS[name]} (${name})`;
  if (error.reason) return cut(`reverted: ${error.reason}`);
  if (error.signature) return `reverted with custom error ${error.signature}`;
  return 'transaction reverted';
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
    if (typeof e !== 'object') break;
  }
  return chain;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function cut(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}
