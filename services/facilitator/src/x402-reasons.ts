/**
 * The x402 protocol's reasons for an invalid payment or a failed settlement, spelled as the
 * reference packages spell them: the general ones of the v2 specification, and those of
 * `@x402/evm`'s exact scheme for an EIP-3009 authorization.
 */
export const X402_REASONS = {
  invalidVersion: 'invalid_x402_version',
  invalidPayload: 'invalid_payload',
  invalidRequirements: 'invalid_payment_requirements',
  unsupportedScheme: 'unsupported_scheme',
  invalidNetwork: 'invalid_network',
  networkMismatch: 'invalid_exact_evm_network_mismatch',
  missingDomain: 'invalid_exact_evm_missing_eip712_domain',
  tokenNameMismatch: 'invalid_exact_evm_token_name_mismatch',
  tokenVersionMismatch: 'invalid_exact_evm_token_version_mismatch',
  valueMismatch: 'invalid_exact_evm_payload_authorization_value_mismatch',
  recipientMismatch: 'invalid_exact_evm_recipient_mismatch',
  validBefore: 'invalid_exact_evm_payload_authorization_valid_before',
  validAfter: 'invalid_exact_evm_payload_authorization_valid_after',
  invalidSignature: 'invalid_exact_evm_signature',
  nonceUsed: 'invalid_exact_evm_nonce_already_used',
  insufficientBalance: 'invalid_exact_evm_insufficient_balance',
  simulationFailed: 'invalid_exact_evm_transaction_simulation_failed',
  transactionFailed: 'invalid_exact_evm_transaction_failed',
  settlementPending: 'settlement_pending',
  unexpectedSettleError: 'unexpected_settle_error',
} as const;

export type X402Reason = (typeof X402_REASONS)[keyof typeof X402_REASONS];

/** The token's custom errors (what it reverts with) as the protocol's reasons; any other revert is a failed simulation. */
const TOKEN_ERRORS: Readonly<Record<string, X402Reason>> = {
  ERC20InsufficientBalance: X402_REASONS.insufficientBalance,
  AuthorizationExpired: X402_REASONS.validBefore,
  AuthorizationNotYetValid: X402_REASONS.validAfter,
  ERC3009InvalidSignature: X402_REASONS.invalidSignature,
  ERC3009UsedAuthorization: X402_REASONS.nonceUsed,
};

/** The reason for a settlement the token refused (`tokenError` is its custom error's name, or `revert`). */
export function tokenRefusalReason(tokenError: string): X402Reason {
  return TOKEN_ERRORS[tokenError] ?? X402_REASONS.simulationFailed;
}
