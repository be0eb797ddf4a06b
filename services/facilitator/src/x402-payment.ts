/**
 * An x402 v2 `{x402Version, paymentPayload, paymentRequirements}` body, as the reference
 * packages (`@x402/core`'s facilitator client, `@x402/hono`'s middleware) send it to
 * `POST /verify` and `POST /settle`, checked without the chain: the protocol version, the
 * scheme (`exact`), the network, the asset (the token this facilitator settles), the EIP-712
 * domain named in `extra`, and the signed authorization against the requirements (amount,
 * `payTo`, `maxTimeoutSeconds`) and against the token's own domain (signature, validity).
 */
import { SETTLEMENT_TYPES, type SettlementType } from '@twinkle/semconv';
import { BadRequest } from '@twinkle/service-kit/json-body';
import { parseUint256 } from '@twinkle/service-kit/uint256';
import { isAddress, type Address } from 'viem';
import { parseSettlementRequest, verifySettlementRequest, type SettlementRequest, type TokenDomain } from './authorization.js';
import { X402_REASONS, type X402Reason } from './x402-reasons.js';

/** The protocol version this facilitator speaks. */
export const X402_VERSION = 2;
/** The one scheme: an EIP-3009 `transferWithAuthorization` of exactly the amount asked. */
export const X402_SCHEME = 'exact';
/** Clock difference allowed between the payer, who counts `maxTimeoutSeconds` from its own now, and this facilitator. */
const CLOCK_SKEW_SECONDS = 60n;

/** A payment the requirements and the token's domain accept, or why not (the protocol's reason, a message, the payer when known). */
export type X402Check =
  | { readonly valid: true; readonly request: SettlementRequest }
  | { readonly valid: false; readonly invalidReason: X402Reason; readonly invalidMessage: string; readonly payer: Address | undefined };

/** Whether a `/verify` or `/settle` body is an x402 one (rather than the earlier `{type, authorization, signature}`). */
export function isX402Body(body: Record<string, unknown>): boolean {
  return 'x402Version' in body || 'paymentPayload' in body || 'paymentRequirements' in body;
}

const record = (value: unknown): Record<string, unknown> | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
const same = (a: unknown, b: string): boolean => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/**
 * Checks an x402 body for `network` (`eip155:<chain id>`) and the token of `domain`. The
 * settlement's `type` label is `paymentRequirements.extra.settlementType` when it is one of
 * the label's values, otherwise `paywall` (an x402 payment pays for a resource behind a 402).
 */
export async function checkX402Payment(body: Record<string, unknown>, network: string, domain: TokenDomain, nowSeconds: bigint): Promise<X402Check> {
  const payload = record(body.paymentPayload);
  const inner = record(payload?.payload);
  const authorization = record(inner?.authorization);
  const payer = typeof authorization?.from === 'string' && isAddress(authorization.from, { strict: false }) ? (authorization.from as Address) : undefined;
  const invalid = (invalidReason: X402Reason, invalidMessage: string): X402Check => ({ valid: false, invalidReason, invalidMessage, payer });

  if (body.x402Version !== X402_VERSION || (payload !== undefined && payload.x402Version !== X402_VERSION)) {
    return invalid(X402_REASONS.invalidVersion, `x402Version must be ${X402_VERSION} (got ${JSON.stringify(body.x402Version ?? null)} in the body, ${JSON.stringify(payload?.x402Version ?? null)} in paymentPayload)`);
  }
  const requirements = record(body.paymentRequirements);
  if (requirements === undefined) return invalid(X402_REASONS.invalidRequirements, 'paymentRequirements must be an object');
  if (payload === undefined || inner === undefined || authorization === undefined) return invalid(X402_REASONS.invalidPayload, 'paymentPayload.payload must hold the authorization and its signature');
  const accepted = record(payload.accepted) ?? {};

  if (requirements.scheme !== X402_SCHEME || accepted.scheme !== X402_SCHEME) return invalid(X402_REASONS.unsupportedScheme, `scheme must be "${X402_SCHEME}" in paymentRequirements and paymentPayload.accepted`);
  if (requirements.network !== network) return invalid(X402_REASONS.invalidNetwork, `this facilitator settles on ${network}, not ${JSON.stringify(requirements.network ?? null)}`);
  if (accepted.network !== requirements.network) return invalid(X402_REASONS.networkMismatch, 'paymentPayload.accepted.network is not paymentRequirements.network');
  if (!same(requirements.asset, domain.verifyingContract)) return invalid(X402_REASONS.invalidRequirements, `asset must be the token this facilitator settles (${domain.verifyingContract})`);
  const extra = record(requirements.extra) ?? {};
  if (typeof extra.name !== 'string' || typeof extra.version !== 'string') return invalid(X402_REASONS.missingDomain, 'paymentRequirements.extra must name the token\'s EIP-712 domain (name, version)');
  if (extra.name !== domain.name) return invalid(X402_REASONS.tokenNameMismatch, `extra.name must be the token's EIP-712 name (${domain.name})`);
  if (extra.version !== domain.version) return invalid(X402_REASONS.tokenVersionMismatch, `extra.version must be the token's EIP-712 version (${domain.version})`);
  const amount = parseUint256(requirements.amount);
  if (amount === undefined || amount === 0n || typeof requirements.amount !== 'string') return invalid(X402_REASONS.invalidRequirements, 'paymentRequirements.amount must be a positive integer in base units, as a decimal string');
  if (typeof requirements.payTo !== 'string' || !isAddress(requirements.payTo, { strict: false })) return invalid(X402_REASONS.invalidRequirements, 'paymentRequirements.payTo must be a 0x-prefixed 20-byte hex address');
  const maxTimeout = requirements.maxTimeoutSeconds;
  if (typeof maxTimeout !== 'number' || !Number.isSafeInteger(maxTimeout) || maxTimeout <= 0) return invalid(X402_REASONS.invalidRequirements, 'paymentRequirements.maxTimeoutSeconds must be a positive integer');

  const type = (SETTLEMENT_TYPES as readonly unknown[]).includes(extra.settlementType) ? (extra.settlementType as SettlementType) : 'paywall';
  let request: SettlementRequest;
  try {
    request = parseSettlementRequest({ type, authorization, signature: inner.signature });
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error;
    return invalid(X402_REASONS.invalidPayload, error.reason);
  }
  const { value, to, validBefore } = request.authorization;
  if (value !== amount) return invalid(X402_REASONS.valueMismatch, `the authorization's value (${value}) is not the amount asked (${amount})`);
  if (!same(to, requirements.payTo)) return invalid(X402_REASONS.recipientMismatch, 'the authorization does not pay paymentRequirements.payTo');
  if (validBefore > nowSeconds + BigInt(maxTimeout) + CLOCK_SKEW_SECONDS) return invalid(X402_REASONS.validBefore, `the authorization is valid for longer than maxTimeoutSeconds (${maxTimeout}) allows`);
  try {
    await verifySettlementRequest(request, domain, nowSeconds);
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error;
    const reason = error.field === 'authorization.validBefore' ? X402_REASONS.validBefore : error.field === 'authorization.validAfter' ? X402_REASONS.validAfter : X402_REASONS.invalidSignature;
    return invalid(reason, error.reason);
  }
  return { valid: true, request };
}
