/**
 * The x402 payment authorization the facilitator settles: an EIP-3009
 * `TransferWithAuthorization` signed by the payer under the token's own EIP-712 domain
 * (its name, version, chain id and address), which the token checks on chain. Exported
 * for clients (and tests) that sign authorizations.
 */
import { SETTLEMENT_TYPES, type SettlementType } from '@twinkle/semconv';
import { badRequest } from '@twinkle/service-kit/json-body';
import { parseUint256 } from '@twinkle/service-kit/uint256';
import { randomBytes } from 'node:crypto';
import { bytesToHex, getAddress, isAddress, verifyTypedData, type Address, type Hex, type LocalAccount } from 'viem';

/** The EIP-712 domain of an EIP-3009 token: what a payer signs under, and the token verifies. */
export interface TokenDomain {
  /** The token's EIP-712 name (Twinkle USD's is "Twinkle USD"; USDC's "USD Coin" on most chains). */
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
  /** The token's address. */
  readonly verifyingContract: Address;
}

export const AUTHORIZATION_TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

export interface PaymentAuthorization {
  readonly from: Address;
  readonly to: Address;
  readonly value: bigint;
  /** Unix seconds. */
  readonly validAfter: bigint;
  /** Unix seconds. */
  readonly validBefore: bigint;
  /** 32 random bytes chosen by the payer; the token accepts one transfer per (from, nonce). */
  readonly nonce: Hex;
}

/** The EIP-712 typed data to sign (and verify) for an authorization on the token of `domain`. */
export function authorizationTypedData(authorization: PaymentAuthorization, domain: TokenDomain) {
  return {
    domain: { name: domain.name, version: domain.version, chainId: domain.chainId, verifyingContract: domain.verifyingContract },
    types: AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: authorization,
  } as const;
}

/** A settlement or verification request: `{type, authorization, signature}`. */
export interface SettlementRequest {
  readonly type: SettlementType;
  readonly authorization: PaymentAuthorization;
  readonly signature: Hex;
}

/** Validates the request's shape; throws a 400 naming the first bad field. */
export function parseSettlementRequest(body: Record<string, unknown>): SettlementRequest {
  const { type, authorization, signature } = body;
  if (type === undefined) throw badRequest('type is required', 'type');
  if (!(SETTLEMENT_TYPES as readonly unknown[]).includes(type)) throw badRequest(`type must be one of ${SETTLEMENT_TYPES.join(', ')}`, 'type');
  if (typeof authorization !== 'object' || authorization === null || Array.isArray(authorization)) throw badRequest('authorization must be an object', 'authorization');
  const fields = authorization as Record<string, unknown>;
  const address = (name: 'from' | 'to'): Address => {
    const value = fields[name];
    if (value === undefined) throw badRequest(`authorization.${name} is required`, `authorization.${name}`);
    if (typeof value !== 'string' || !isAddress(value, { strict: false })) throw badRequest(`authorization.${name} must be a 0x-prefixed 20-byte hex address`, `authorization.${name}`);
    return getAddress(value);
  };
  const uint = (name: 'value' | 'validAfter' | 'validBefore'): bigint => {
    const value = fields[name];
    if (value === undefined) throw badRequest(`authorization.${name} is required`, `authorization.${name}`);
    const parsed = parseUint256(value);
    if (parsed === undefined) throw badRequest(`authorization.${name} must be a non-negative integer (a decimal string or a safe integer)`, `authorization.${name}`);
    return parsed;
  };
  const from = address('from');
  const to = address('to');
  const value = uint('value');
  if (value === 0n) throw badRequest('authorization.value must be greater than 0', 'authorization.value');
  const validAfter = uint('validAfter');
  const validBefore = uint('validBefore');
  const nonce = fields.nonce;
  if (typeof nonce !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(nonce)) throw badRequest('authorization.nonce must be 0x followed by 64 hex digits', 'authorization.nonce');
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) throw badRequest('signature must be a 65-byte 0x-prefixed hex signature', 'signature');
  return { type: type as SettlementType, authorization: { from, to, value, validAfter, validBefore, nonce: nonce.toLowerCase() as Hex }, signature: signature as Hex };
}

/**
 * Checks what can be checked without the chain, as the token will: the validity window
 * (valid strictly after `validAfter` and strictly before `validBefore`) and the signature
 * under the token's EIP-712 domain, so one made for another token or chain is refused.
 * Throws a 400 with the reason.
 */
export async function verifySettlementRequest(request: SettlementRequest, domain: TokenDomain, nowSeconds: bigint): Promise<void> {
  const { authorization } = request;
  if (authorization.validBefore <= nowSeconds) throw badRequest('authorization expired (validBefore is in the past)', 'authorization.validBefore');
  if (authorization.validAfter >= nowSeconds) throw badRequest('authorization not yet valid (validAfter is not in the past)', 'authorization.validAfter');
  let valid: boolean;
  try {
    valid = await verifyTypedData({ address: authorization.from, signature: request.signature, ...authorizationTypedData(authorization, domain) });
  } catch {
    valid = false;
  }
  if (!valid) throw badRequest(`signature does not match authorization.from under the token's EIP-712 domain (${domain.name} v${domain.version}, chain ${domain.chainId}, ${domain.verifyingContract})`, 'signature');
}

/** What a payer signs: pay `value` to `to`, valid from `validAfter` until `validBefore` (unix seconds). */
export interface AuthorizationTerms {
  readonly to: Address;
  readonly value: bigint;
  readonly validAfter?: bigint;
  readonly validBefore?: bigint;
}

/**
 * Signs an authorization as the payer `account` (a client's side of the exchange) for the
 * token of `domain`, with a fresh random nonce; valid for an hour unless `terms` say
 * otherwise. `value` is in the token's base units. Returns the JSON body that
 * `POST /verify` and `POST /settle` take (without `type`).
 */
export async function signAuthorization(account: LocalAccount, terms: AuthorizationTerms, domain: TokenDomain): Promise<{ authorization: Record<string, string>; signature: Hex }> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const authorization: PaymentAuthorization = {
    from: account.address,
    to: terms.to,
    value: terms.value,
    validAfter: terms.validAfter ?? 0n,
    validBefore: terms.validBefore ?? now + 3600n,
    nonce: bytesToHex(randomBytes(32)),
  };
  const signature = await account.signTypedData(authorizationTypedData(authorization, domain));
  return {
    authorization: { ...authorization, value: String(authorization.value), validAfter: String(authorization.validAfter), validBefore: String(authorization.validBefore) },
    signature,
  };
}
