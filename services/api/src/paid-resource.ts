import { badRequest } from '@twinkle/service-kit/json-body';
import { decodePaymentSignatureHeader, encodePaymentRequiredHeader, encodePaymentResponseHeader } from '@x402/core/http';
import type { PaymentRequired } from '@x402/core/types';
import type { Context, Handler } from 'hono';
import { verifyWithFacilitator } from './facilitator-client.js';
import { settleBoundPayment, type SettlementDependencies } from './payment-settlement.js';
import { AuthorizationInUseError, type PaymentsStore } from './payments-store.js';
import type { SettlementTermsCache } from './settlement-terms-cache.js';
import { X402_VERSION, paymentRequirements, type PaymentRequirements } from './x402-requirements.js';
import { NONCE_USED } from './x402-refusal.js';

export interface PaidResourceOptions extends SettlementDependencies {
  /** What a request costs, in the token's base units. */
  readonly price: string;
  /** Who is paid; undefined: paid resources answer 503. */
  readonly payTo: string | undefined;
  /** How long the payer's authorization may be valid (x402's `maxTimeoutSeconds`). */
  readonly maxTimeoutSeconds: number;
  readonly store: PaymentsStore;
  readonly terms: SettlementTermsCache;
}

const RESOURCE = /^[A-Za-z0-9._-]{1,64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NONCE = /^0x[0-9a-fA-F]{64}$/;

/**
 * `GET /paid/:resource` over x402 v2: without a payment, 402 with the requirements in the
 * `PAYMENT-REQUIRED` header (base64 JSON; the body holds the same); with one
 * (`PAYMENT-SIGNATURE`, or the earlier `X-PAYMENT`), the facilitator verifies it, the API
 * records a `paywall` payment holding the authorization, the facilitator settles it, and the
 * answer (200, the resource) carries the settlement in `PAYMENT-RESPONSE`. A payment that is
 * refused, or whose outcome is not known yet (pending, reconciled later), answers 402 with
 * the reason; 503 when nothing was sent and the same request may be retried.
 */
export function paidResource(options: PaidResourceOptions): Handler {
  return async function servePaidResource(c) {
    const resource = c.req.param('resource') ?? '';
    if (!RESOURCE.test(resource)) throw badRequest('resource must be 1-64 characters of A-Z a-z 0-9 . _ -', 'resource');
    if (options.payTo === undefined) return c.json({ error: 'paid resources are off: PAID_RESOURCE_PAY_TO is not set' }, 503);
    const terms = await options.terms.get();
    if ('unavailable' in terms) return c.json({ error: 'facilitator unavailable', reason: terms.unavailable }, 503);
    const requirements = paymentRequirements(terms, options.price, options.payTo, options.maxTimeoutSeconds);
    const info = { url: c.req.url, description: `Twinkle paid resource ${resource}`, mimeType: 'application/json' };
    const header = c.req.header('payment-signature') ?? c.req.header('x-payment');
    if (header === undefined) return paymentRequired(c, info, requirements, 'payment required');

    let payload: Record<string, unknown>;
    try {
      payload = decodePaymentSignatureHeader(header) as unknown as Record<string, unknown>;
    } catch {
      return paymentRequired(c, info, requirements, 'invalid_payload');
    }
    const authorization = (payload?.payload as { authorization?: { from?: unknown; nonce?: unknown } } | undefined)?.authorization;
    const from = authorization?.from;
    const nonce = authorization?.nonce;
    if (typeof from !== 'string' || !ADDRESS.test(from) || typeof nonce !== 'string' || !NONCE.test(nonce)) return paymentRequired(c, info, requirements, 'invalid_payload');
    const request = { x402Version: payload.x402Version, paymentPayload: payload, paymentRequirements: requirements };
    const verdict = await verifyWithFacilitator(options.facilitatorUrl, request, options.timeoutMs);
    if (verdict.kind === 'unavailable') return c.json({ error: 'facilitator unavailable', reason: verdict.reason }, 503);
    if (verdict.kind === 'invalid') return paymentRequired(c, info, requirements, verdict.reason);

    let payment;
    try {
      payment = await options.store.createSettling({ type: 'paywall', amount: options.price, payer: from, payee: options.payTo, memo: `GET /paid/${resource}` }, nonce.toLowerCase());
    } catch (error) {
      if (error instanceof AuthorizationInUseError) return paymentRequired(c, info, requirements, NONCE_USED);
      throw error;
    }
    const settlement = await settleBoundPayment(payment, request, 'failed', options);
    switch (settlement.kind) {
      case 'settled': {
        const transaction = settlement.payment?.txHash ?? '';
        c.header('PAYMENT-RESPONSE', encodePaymentResponseHeader({ success: true, transaction, network: terms.network as `${string}:${string}`, payer: from, amount: options.price }));
        return c.json({ resource, content: `the paid content of ${resource}`, payment: { id: payment.id, txHash: transaction } });
      }
      case 'unavailable':
        return c.json({ error: 'facilitator unavailable', reason: settlement.reason }, 503);
      case 'pending':
        return paymentRequired(c, info, requirements, 'settlement_pending');
      case 'failed':
        return paymentRequired(c, info, requirements, 'invalid_exact_evm_transaction_failed');
      case 'refused':
        return paymentRequired(c, info, requirements, settlement.refusal.reason);
    }
  };
}

function paymentRequired(c: Context, resource: PaymentRequired['resource'], requirements: PaymentRequirements, error: string): Response {
  const body: PaymentRequired = { x402Version: X402_VERSION, error, resource, accepts: [requirements as unknown as PaymentRequired['accepts'][number]] };
  c.header('PAYMENT-REQUIRED', encodePaymentRequiredHeader(body));
  return c.json(body, 402);
}
