import type { Logger } from 'pino';
import { verifyWithFacilitator } from './facilitator-client.js';
import { checkAuthorizationMatches, type Payment } from './payment.js';
import { followAuthorization, settleBoundPayment, type Settlement, type SettlementDependencies } from './payment-settlement.js';
import { AuthorizationInUseError, type PaymentsStore } from './payments-store.js';
import type { SettlementTermsCache } from './settlement-terms-cache.js';
import { facilitatorRequest, paymentRequirements } from './x402-requirements.js';
import { refusalOf } from './x402-refusal.js';

/** An HTTP answer to give: status and JSON body. */
export interface Answer {
  readonly status: 200 | 202 | 400 | 409 | 422 | 502 | 503;
  readonly body: unknown;
}

export interface SettleRequestDependencies extends SettlementDependencies {
  readonly store: PaymentsStore;
  readonly terms: SettlementTermsCache;
  readonly log: Logger;
}

/** How long an authorization for `POST /payments/:id/settle` may be valid: a day (x402's `maxTimeoutSeconds` of its requirements). */
export const AUTHORIZATION_MAX_SECONDS = 86_400;

/**
 * `POST /payments/:id/settle`: the authorization must match the payment (payer, payee,
 * amount), and the facilitator must find its signature good (x402 `/verify`, which asks the
 * chain whether it is unused and the payer holds the amount) before the payment takes it
 * (binds its nonce) and moves to `settling`. A refused authorization is never bound, so no one
 * can hold a payer's authorization hostage by posting a forgery of it.
 */
export async function settlePaymentRequest(payment: Payment, body: Record<string, unknown>, deps: SettleRequestDependencies): Promise<Answer> {
  const { nonce } = checkAuthorizationMatches(payment, body);
  if (payment.status !== 'created' && payment.status !== 'failed') return alreadyIn(payment);
  const holder = await deps.store.authorizationHolder(payment.payer, nonce);
  if (holder !== undefined && holder !== payment.id) throw new AuthorizationInUseError(holder);
  const terms = await deps.terms.get();
  if ('unavailable' in terms) return notSent(payment, terms.unavailable, deps.log);
  const request = facilitatorRequest(paymentRequirements(terms, payment.amount, payment.payee, AUTHORIZATION_MAX_SECONDS, payment.type), body as { authorization: unknown; signature: unknown });
  const verdict = await verifyWithFacilitator(deps.facilitatorUrl, request, deps.timeoutMs);
  if (verdict.kind === 'unavailable') return notSent(payment, verdict.reason, deps.log);
  const refusal = verdict.kind === 'invalid' ? refusalOf(verdict.reason, verdict.message) : undefined;
  if (refusal !== undefined && refusal.status !== 409) return answer({ kind: 'refused', refusal, payment: undefined });
  const settling = await deps.store.beginSettlement(payment.id, nonce);
  if (settling === undefined) return alreadyIn((await deps.store.get(payment.id)) ?? payment);
  // Used already (on chain, or by a settlement under way): the payment follows what became of it.
  return answer(refusal === undefined ? await settleBoundPayment(settling, request, 'created', deps) : await followAuthorization(settling, deps));
}

/** The answer to a settlement's outcome. */
function answer(settlement: Settlement): Answer {
  switch (settlement.kind) {
    case 'settled':
      return { status: 200, body: settlement.payment };
    case 'pending':
      return { status: 202, body: settlement.payment };
    case 'failed':
      return { status: 502, body: { error: 'settlement failed', reason: settlement.reason, payment: settlement.payment } };
    case 'refused': {
      const { status, message, reason, field } = settlement.refusal;
      return { status, body: { error: message, reason, ...(field === undefined ? {} : { field }), ...(settlement.payment === undefined ? {} : { payment: settlement.payment }) } };
    }
    case 'unavailable':
      return { status: 503, body: { error: 'facilitator unavailable', reason: settlement.reason } };
  }
}

function alreadyIn(payment: Payment): Answer {
  return { status: 409, body: { error: `payment ${payment.id} is already ${payment.status}` } };
}

function notSent(payment: Payment, reason: string, log: Logger): Answer {
  log.warn({ paymentId: payment.id, status: payment.status, reason: `nothing was sent: ${reason}` }, 'payment not settled');
  return answer({ kind: 'unavailable', reason });
}
