import { authorizationStatus, settleWithFacilitator, type AuthorizationStatus } from './facilitator-client.js';
import type { Payment, PaymentStatus } from './payment.js';
import type { OutcomeSource, PaymentTransitions } from './payment-transitions.js';
import { NONCE_USED, refusalOf, TRANSACTION_FAILED, type Refusal } from './x402-refusal.js';

export interface SettlementDependencies {
  readonly facilitatorUrl: string;
  /** Bound on the settlement call (and on a status query). */
  readonly timeoutMs: number;
  readonly transitions: PaymentTransitions;
}

/** What settling a payment came to. */
export type Settlement =
  /** The tokens moved (settled), or a transaction was sent and its outcome is not known yet (pending: the reconciler finds it). */
  | { readonly kind: 'settled' | 'pending'; readonly payment: Payment | undefined }
  /** A transaction was sent and failed for a reason that is not the payer's (out of gas ...): the payment is `failed`. */
  | { readonly kind: 'failed'; readonly reason: string; readonly payment: Payment | undefined }
  /** The facilitator refused the authorization: the tokens did not move and the payment no longer holds it. */
  | { readonly kind: 'refused'; readonly refusal: Refusal; readonly payment: Payment | undefined }
  /** Nothing was sent and the same call may be retried; the payment no longer holds the authorization. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Settles a payment that was just moved to `settling` (its authorization's nonce recorded, its
 * signature verified) by sending `request` (x402) to the facilitator, and writes what happened:
 * settled; pending (sent, outcome unknown, or the answer was lost); failed (sent and failed);
 * refused or nothing sent: the payment goes back to `back` and lets go of the authorization;
 * the authorization used already: what became of it is asked at once and the payment follows the chain.
 */
export async function settleBoundPayment(payment: Payment, request: unknown, back: PaymentStatus, deps: SettlementDependencies): Promise<Settlement> {
  const { transitions } = deps;
  const outcome = await settleWithFacilitator(deps.facilitatorUrl, request, deps.timeoutMs);
  const via = 'facilitator';
  switch (outcome.kind) {
    case 'settled':
    case 'pending':
      return { kind: outcome.kind, payment: await transitions.moveOrRead(payment.id, ['settling'], outcome.kind, { txHash: outcome.transaction, via }) };
    case 'unavailable':
      if (outcome.maybeSent) return { kind: 'pending', payment: await transitions.moveOrRead(payment.id, ['settling'], 'pending', { reason: outcome.reason, via }) };
      await transitions.move(payment.id, ['settling'], back, { reason: `nothing was sent: ${outcome.reason}`, via, unbind: true });
      return { kind: 'unavailable', reason: outcome.reason };
    case 'refused': {
      const refusal = refusalOf(outcome.reason, outcome.message);
      if (refusal.status === 409) return followAuthorization(payment, deps);
      if (outcome.reason === TRANSACTION_FAILED) {
        return { kind: 'failed', reason: outcome.message, payment: await transitions.moveOrRead(payment.id, ['settling'], 'failed', { txHash: outcome.transaction, reason: outcome.message, via }) };
      }
      const to = outcome.transaction === undefined ? back : 'failed';
      return { kind: 'refused', refusal, payment: await transitions.moveOrRead(payment.id, ['settling'], to, { txHash: outcome.transaction, reason: `refused: ${outcome.message} (${outcome.reason})`, via, unbind: true }) };
    }
  }
}

/**
 * A `settling` payment whose authorization the facilitator says is used (someone submitted it
 * to the token directly, or another settlement of it is under way): what became of it is asked
 * at once, and the payment follows the chain; when nothing was sent after all, it goes back to
 * `created` without the authorization and the answer is a 409.
 */
export async function followAuthorization(payment: Payment, deps: SettlementDependencies): Promise<Settlement> {
  const { transitions } = deps;
  const via = 'facilitator';
  const status = await authorizationStatus(deps.facilitatorUrl, payment.payer, payment.authorizationNonce!, deps.timeoutMs);
  if (status?.status === 'unused') {
    await transitions.move(payment.id, ['settling'], 'created', { reason: 'the facilitator refused it as used, but nothing was sent', via, unbind: true });
    return { kind: 'refused', refusal: refusalOf(NONCE_USED, 'authorization already used'), payment: undefined };
  }
  const moved = (await applyAuthorizationStatus(transitions, payment, status ?? { status: 'pending', transaction: null }, via)) ?? (await transitions.current(payment.id)) ?? payment;
  if (moved.status === 'settled') return { kind: 'settled', payment: moved };
  if (moved.status === 'failed') return { kind: 'failed', reason: status?.reason ?? 'settlement failed', payment: moved };
  return { kind: 'pending', payment: moved };
}

/**
 * Writes to a `settling` or `pending` payment what the facilitator says became of its
 * authorization: settled, pending (with the hash once known), failed; `unused` (nothing
 * was sent, the token has not used it) is failed too, so the payment can be settled
 * again; `settling` (another request is on it) changes nothing. Returns the payment when
 * it moved.
 */
export async function applyAuthorizationStatus(transitions: PaymentTransitions, payment: Payment, status: AuthorizationStatus, via: OutcomeSource): Promise<Payment | undefined> {
  const from = ['settling', 'pending'] as const;
  const txHash = status.transaction ?? undefined;
  switch (status.status) {
    case 'settled':
      return transitions.move(payment.id, from, 'settled', { txHash, via });
    case 'failed':
      return transitions.move(payment.id, from, 'failed', { txHash, reason: status.reason ?? 'the transaction did not use the authorization', via });
    case 'unused':
      return transitions.move(payment.id, from, 'failed', { reason: 'nothing was sent and the token has not used the authorization', via });
    case 'pending':
      // Already pending with this hash: nothing new to write (or to log).
      if (payment.status === 'pending' && (txHash === undefined || payment.txHash === txHash)) return undefined;
      return transitions.move(payment.id, from, 'pending', { txHash, via });
    case 'settling':
      return undefined;
  }
}
