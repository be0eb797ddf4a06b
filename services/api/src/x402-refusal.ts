/**
 * A payment the facilitator refused (x402's `invalidReason` / `errorReason`), as the API
 * answers it: 409 when the authorization was used; 422 when the authorization is good but
 * the chain will not move the tokens (the payer's balance, or the token refusing it
 * otherwise); 400 for the rest (a signature, a validity window, a value or payee that are
 * not the payment's ...), with the field of the settlement body it concerns.
 */
export interface Refusal {
  readonly status: 400 | 409 | 422;
  /** x402's reason. */
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

export const NONCE_USED = 'invalid_exact_evm_nonce_already_used';
/** The settlement was sent and mined, and failed for a reason other than the payer's. */
export const TRANSACTION_FAILED = 'invalid_exact_evm_transaction_failed';

const DECLINED = new Set(['invalid_exact_evm_insufficient_balance', 'invalid_exact_evm_transaction_simulation_failed']);
const FIELDS: Readonly<Record<string, string>> = {
  invalid_exact_evm_insufficient_balance: 'authorization.value',
  invalid_exact_evm_payload_authorization_value_mismatch: 'authorization.value',
  invalid_exact_evm_recipient_mismatch: 'authorization.to',
  invalid_exact_evm_payload_authorization_valid_before: 'authorization.validBefore',
  invalid_exact_evm_payload_authorization_valid_after: 'authorization.validAfter',
  invalid_exact_evm_signature: 'signature',
  [NONCE_USED]: 'authorization.nonce',
};

export function refusalOf(reason: string, message: string): Refusal {
  const status = reason === NONCE_USED ? 409 : DECLINED.has(reason) ? 422 : 400;
  const field = FIELDS[reason];
  return { status, reason, message, ...(field === undefined ? {} : { field }) };
}
