import type { AuthorizationClaims } from './authorization-claims.js';
import { readChain } from './chain-unavailable-error.js';
import type { Eip3009Token } from './eip3009-token.js';
import type { Settler } from './settler.js';
import { checkX402Payment, type X402Check } from './x402-payment.js';
import { tokenRefusalReason, X402_REASONS, type X402Reason } from './x402-reasons.js';

/** An HTTP answer: status and JSON body. */
export interface X402Answer {
  readonly status: 200 | 202 | 503;
  readonly body: Record<string, unknown>;
}

export interface X402Dependencies {
  /** `eip155:<chain id>` */
  readonly network: string;
  readonly token: Eip3009Token;
  readonly claims: AuthorizationClaims;
  /** Undefined when no `FACILITATOR_PRIVATE_KEY` is configured: settlements answer 503. */
  readonly settler: Settler | undefined;
  readonly nowSeconds: bigint;
}

type Invalid = Extract<X402Check, { valid: false }>;

/**
 * `POST /verify` with an x402 body: the checks of `checkX402Payment`, then the chain's (the
 * authorization unused, pending transactions included; the payer's balance). HTTP 200 with
 * `{isValid, invalidReason?, invalidMessage?, payer}` as the protocol answers; 503 (through the
 * error handler) when the chain cannot be asked.
 */
export async function verifyX402(body: Record<string, unknown>, deps: X402Dependencies): Promise<X402Answer> {
  const check = await checkX402Payment(body, deps.network, deps.token.domain, deps.nowSeconds);
  if (!check.valid) return { status: 200, body: invalid(check) };
  const { authorization } = check.request;
  const [used, balance] = await readChain(Promise.all([deps.token.authorizationUsed(authorization, 'pending'), deps.token.balanceOf(authorization.from, 'pending')]));
  const payer = authorization.from;
  if (used) return { status: 200, body: invalid({ invalidReason: X402_REASONS.nonceUsed, invalidMessage: 'the token has used this authorization', payer }) };
  if (balance < authorization.value) return { status: 200, body: invalid({ invalidReason: X402_REASONS.insufficientBalance, invalidMessage: `the payer holds ${balance} base units, the authorization is for ${authorization.value}`, payer }) };
  return { status: 200, body: { isValid: true, payer } };
}

/**
 * `POST /settle` with an x402 body: checked as `/verify` checks it (the balance left to the
 * token), then settled exactly as the earlier body is (claim, nonce lock, simulation, one
 * broadcast, the receipt). Answers as the protocol does, HTTP 200 with `{success, errorReason?,
 * errorMessage?, payer, transaction, network}`, and beyond it: 202 with `settlement_pending` and
 * the transaction when its receipt did not come in time; 503 when nothing was sent and the same
 * call may be retried (no RPC endpoint answered before broadcasting, Redis down, no key).
 */
export async function settleX402(body: Record<string, unknown>, deps: X402Dependencies): Promise<X402Answer> {
  const { network, token, claims, settler, nowSeconds } = deps;
  const check = await checkX402Payment(body, network, token.domain, nowSeconds);
  if (!check.valid) return failed(network, check.invalidReason, check.invalidMessage, check.payer);
  if (settler === undefined) return { status: 503, body: { error: 'settlements are disabled: FACILITATOR_PRIVATE_KEY is not configured' } };
  const { request } = check;
  const payer = request.authorization.from;
  // As for the earlier body: the chain first, then the claim (see app.ts).
  if (await token.authorizationUsed(request.authorization, 'pending').catch(() => false)) return failed(network, X402_REASONS.nonceUsed, 'the token has used this authorization', payer);
  if (!(await claims.claim(request.authorization, nowSeconds))) return failed(network, X402_REASONS.nonceUsed, 'this authorization is settled, or being settled, already', payer);
  const result = await settler.settle(request);
  if (result.status !== 'failure') {
    if (result.status === 'success') return { status: 200, body: { success: true, transaction: result.transaction, network, payer, amount: String(request.authorization.value) } };
    return { status: 202, body: failed(network, X402_REASONS.settlementPending, 'sent; its receipt did not come in time', payer, result.transaction).body };
  }
  if (result.alreadyUsed) return failed(network, X402_REASONS.nonceUsed, result.reason, payer);
  if (result.tokenError !== undefined) return failed(network, tokenRefusalReason(result.tokenError), result.reason, payer, result.transaction);
  if (result.reachedChain) return failed(network, X402_REASONS.transactionFailed, result.reason, payer, result.transaction);
  return { status: 503, body: failed(network, X402_REASONS.unexpectedSettleError, result.reason, payer).body };
}

function invalid(check: Pick<Invalid, 'invalidReason' | 'invalidMessage' | 'payer'>): Record<string, unknown> {
  return { isValid: false, invalidReason: check.invalidReason, invalidMessage: check.invalidMessage, ...(check.payer === undefined ? {} : { payer: check.payer }) };
}

function failed(network: string, errorReason: X402Reason, errorMessage: string, payer: string | undefined, transaction?: string): X402Answer {
  return { status: 200, body: { success: false, errorReason, errorMessage, transaction: transaction ?? '', network, ...(payer === undefined ? {} : { payer }) } };
}
