import { authorizationStatus, settleWithFacilitator, type AuthorizationStatus } from './facilitator-client.js';
import type { Payment } from './payment.js';
import type { OutcomeSource, PaymentTransitions } from './payment-transitions.js';

/** An HTTP answer to give: status and JSON body. */
export interface Answer {
  readonly status: 200 | 202 | 400 | 409 | 422 | 502 | 503;
  readonly body: unknown;
}

export interface SettlementDependencies {
  readonly facilitatorUrl: string;
  /** Bound on the settlement call (and on a status query). */
  readonly timeoutMs: number;
  readonly transitions: PaymentTransitions;
}

/**
 * Settles a payment that was just moved to `settling` (its authorization's nonce recorded)
 * through the facilitator, and writes what happened:
 * - settled (200), pending (202: the outcome is not known yet, the reconciler finds it);
 * - failed (502: the tokens did not move; the payment can be settled again);
 * - refused before anything was sent: the facilitator's 400/422 passed on, or 503 when it
 *   or its dependencies are unavailable; the payment is `created` again;
 * - 409 from the facilitator (the authorization was used or is being settled): what became
 *   of it is asked at once, and the payment follows the chain.
 */
export async function settlePayment(payment: Payment, body: Record<string, unknown>, deps: SettlementDependencies): Promise<Answer> {
  const { transitions } = deps;
  const outcome = await settleWithFacilitator(deps.facilitatorUrl, { type: payment.type, authorization: body.authorization, signature: body.signature }, deps.timeoutMs);
  const via = 'facilitator';
  switch (outcome.kind) {
    case 'settled':
      return { status: 200, body: await transitions.moveOrRead(payment.id, ['settling'], 'settled', { txHash: outcome.transaction, via }) };
    case 'pending':
      return { status: 202, body: await transitions.moveOrRead(payment.id, ['settling'], 'pending', { txHash: outcome.transaction, via }) };
    case 'failed':
      return { status: 502, body: { error: 'settlement failed', reason: outcome.reason, payment: await transitions.moveOrRead(payment.id, ['settling'], 'failed', { txHash: outcome.transaction, reason: outcome.reason, via }) } };
    case 'rejected':
      await transitions.move(payment.id, ['settling'], 'created', { reason: `the facilitator refused it (${outcome.status})`, via });
      return { status: outcome.status, body: outcome.body ?? { error: 'the facilitator refused the settlement' } };
    case 'unavailable':
      if (!outcome.maybeSent) {
        await transitions.move(payment.id, ['settling'], 'created', { reason: `nothing was sent: ${outcome.reason}`, via });
        return { status: 503, body: { error: 'facilitator unavailable', reason: outcome.reason } };
      }
      // It may have been sent: pending until the reconciler learns what became of it.
      return { status: 202, body: await transitions.moveOrRead(payment.id, ['settling'], 'pending', { reason: outcome.reason, via }) };
    case 'used': {
      const status = await authorizationStatus(deps.facilitatorUrl, payment.payer, payment.authorizationNonce!, deps.timeoutMs);
      if (status?.status === 'unused') {
        await transitions.move(payment.id, ['settling'], 'created', { reason: 'the facilitator refused it as used, but nothing was sent', via });
        return { status: 409, body: outcome.body };
      }
      const answer = (await applyAuthorizationStatus(transitions, payment, status ?? { status: 'pending', transaction: null }, via)) ?? (await transitions.current(payment.id)) ?? payment;
      if (answer.status === 'settled') return { status: 200, body: answer };
      if (answer.status === 'failed') return { status: 502, body: { error: 'settlement failed', reason: status?.reason ?? 'settlement failed', payment: answer } };
      return { status: 202, body: answer };
    }
  }
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
