/**
 * The x402 v2 shapes the API sends and serves: the payment requirements of a payment (what
 * the payer must sign: the amount, to whom, in which token on which network, for how long),
 * and an authorization wrapped as a payment payload for the facilitator.
 */
import type { SettlementType } from '@twinkle/semconv';
import type { SettlementTerms } from './facilitator-client.js';

export const X402_VERSION = 2;

/** x402's `PaymentRequirements` for the `exact` scheme on an EIP-3009 token. */
export interface PaymentRequirements {
  readonly scheme: 'exact';
  readonly network: string;
  readonly amount: string;
  readonly asset: string;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly extra: { readonly name: string; readonly version: string; readonly settlementType?: SettlementType };
}

/**
 * The requirements of a payment of `amount` base units to `payTo` in the facilitator's token,
 * signed for at most `maxTimeoutSeconds`. `settlementType` tells a Twinkle facilitator the
 * `type` label of the settlement (others ignore it); without it the settlement is a `paywall` one.
 */
export function paymentRequirements(terms: SettlementTerms, amount: string, payTo: string, maxTimeoutSeconds: number, settlementType?: SettlementType): PaymentRequirements {
  return {
    scheme: 'exact',
    network: terms.network,
    amount,
    asset: terms.asset,
    payTo,
    maxTimeoutSeconds,
    extra: { name: terms.name, version: terms.version, ...(settlementType === undefined ? {} : { settlementType }) },
  };
}

/** The facilitator's `/verify` and `/settle` body for an authorization and its signature, paying `requirements`. */
export function facilitatorRequest(requirements: PaymentRequirements, payload: { authorization: unknown; signature: unknown }, resource?: unknown): Record<string, unknown> {
  return {
    x402Version: X402_VERSION,
    paymentPayload: { x402Version: X402_VERSION, payload: { authorization: payload.authorization, signature: payload.signature }, accepted: requirements, ...(resource === undefined ? {} : { resource }) },
    paymentRequirements: requirements,
  };
}
