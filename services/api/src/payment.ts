import { SETTLEMENT_TYPES, type SettlementType } from '@twinkle/semconv';
import { badRequest } from '@twinkle/service-kit/json-body';
import { parseUint256 } from '@twinkle/service-kit/uint256';

/**
 * created -> settling (sent to the facilitator) -> settled | pending (outcome not known yet) |
 * failed (the tokens did not move); pending -> settled | failed (reconciled); a failed
 * payment, or one the facilitator refused before sending anything (back to created), can be
 * settled again.
 */
export const PAYMENT_STATUSES = ['created', 'settling', 'pending', 'settled', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface Payment {
  readonly id: string;
  readonly type: SettlementType;
  /** Amount in the asset's base units, as a decimal string (uint256 range). */
  readonly amount: string;
  readonly payer: string;
  readonly payee: string;
  readonly memo: string | null;
  readonly status: PaymentStatus;
  readonly txHash: string | null;
  /** The nonce of the EIP-3009 authorization the payment is (being) settled with. */
  readonly authorizationNonce: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewPayment {
  readonly type: SettlementType;
  readonly amount: string;
  readonly payer: string;
  readonly payee: string;
  readonly memo?: string;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NONCE = /^0x[0-9a-fA-F]{64}$/;
const MEMO_MAX = 256;

/** A positive integer amount in base units, from a decimal string or a safe integer; undefined otherwise. */
export function parseAmount(value: unknown): string | undefined {
  const amount = parseUint256(value);
  return amount !== undefined && amount > 0n ? amount.toString() : undefined;
}

/** Validates `POST /payments`' body; throws a 400 naming the first bad field. */
export function parseNewPayment(body: Record<string, unknown>): NewPayment {
  const { type, amount, payer, payee, memo } = body;
  if (type === undefined) throw badRequest('type is required', 'type');
  if (!(SETTLEMENT_TYPES as readonly unknown[]).includes(type)) throw badRequest(`type must be one of ${SETTLEMENT_TYPES.join(', ')}`, 'type');
  if (amount === undefined) throw badRequest('amount is required', 'amount');
  const parsedAmount = parseAmount(amount);
  if (parsedAmount === undefined) throw badRequest('amount must be a positive integer in base units (a decimal string or a safe integer)', 'amount');
  for (const [field, value] of [['payer', payer], ['payee', payee]] as const) {
    if (value === undefined) throw badRequest(`${field} is required`, field);
    if (typeof value !== 'string' || !ADDRESS.test(value)) throw badRequest(`${field} must be a 0x-prefixed 20-byte hex address`, field);
  }
  if (memo !== undefined && (typeof memo !== 'string' || memo.length > MEMO_MAX)) throw badRequest(`memo must be a string of at most ${MEMO_MAX} characters`, 'memo');
  return { type: type as SettlementType, amount: parsedAmount, payer: payer as string, payee: payee as string, ...(memo === undefined ? {} : { memo: memo as string }) };
}

/** `GET /payments` paging: `limit` 1-100 (default 20), `before` an id. */
export function parsePage(limit: string | undefined, before: string | undefined): { limit: number; before: string | undefined } {
  if (limit !== undefined && !/^(100|[1-9]\d?)$/.test(limit)) throw badRequest('limit must be an integer from 1 to 100', 'limit');
  if (before !== undefined && !isPaymentId(before)) throw badRequest('before must be a payment id (an integer from 1 to 9223372036854775807)', 'before');
  return { limit: limit === undefined ? 20 : Number(limit), before };
}

/** The largest payment id: ids are bigserial values, PostgreSQL's bigint. */
const PAYMENT_ID_MAX = 2n ** 63n - 1n;

/** Payment ids are positive bigserial values: 1 to 2^63 - 1 (a larger one would make PostgreSQL refuse the query). */
export function isPaymentId(value: string): boolean {
  return /^[1-9]\d{0,18}$/.test(value) && BigInt(value) <= PAYMENT_ID_MAX;
}

/**
 * The parts of a settlement request the API checks against the payment before forwarding
 * it; returns the authorization's nonce (lower-case), which binds it to this payment.
 */
export function checkAuthorizationMatches(payment: Payment, body: Record<string, unknown>): { nonce: string } {
  const authorization = body.authorization;
  if (typeof authorization !== 'object' || authorization === null) throw badRequest('authorization is required', 'authorization');
  const { from, to, value, nonce } = authorization as Record<string, unknown>;
  if (typeof from !== 'string' || from.toLowerCase() !== payment.payer.toLowerCase()) throw badRequest('authorization.from must be the payment\'s payer', 'authorization.from');
  if (typeof to !== 'string' || to.toLowerCase() !== payment.payee.toLowerCase()) throw badRequest('authorization.to must be the payment\'s payee', 'authorization.to');
  if (parseAmount(value) !== payment.amount) throw badRequest('authorization.value must be the payment\'s amount', 'authorization.value');
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) throw badRequest('authorization.nonce must be 0x followed by 64 hex digits', 'authorization.nonce');
  if (typeof body.signature !== 'string') throw badRequest('signature is required', 'signature');
  return { nonce: nonce.toLowerCase() };
}
