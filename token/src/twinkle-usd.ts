/**
 * What Twinkle USD is, as its constructor sets it (token/contracts/TwinkleUSD.sol): the
 * ERC-20 metadata and the EIP-712 domain a payer signs authorizations under.
 */
export const TWINKLE_USD = {
  /** ERC-20 `name()` and the EIP-712 domain's `name`. */
  name: 'Twinkle USD',
  symbol: 'tUSD',
  /** The EIP-712 domain's `version`. */
  version: '1',
  /** Amounts are in millionths, as USDC's. */
  decimals: 6,
} as const;
