/**
 * What the facilitator calls on the token: EIP-3009's `transferWithAuthorization` (the
 * v, r, s form, which USDC and OpenZeppelin's ERC3009 both have), `authorizationState`,
 * `balanceOf`, `DOMAIN_SEPARATOR`, their events, and the custom errors of Twinkle USD,
 * OpenZeppelin's ERC3009 and ERC-20 (so a revert is decoded into its name and arguments;
 * revert strings, as USDC uses, need no ABI).
 */
export const EIP3009_ABI = [
  {
    type: 'function',
    name: 'transferWithAuthorization',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'from', type: 'address' },
      { name: 'to', type: 'address' },
      { name: 'value', type: 'uint256' },
      { name: 'validAfter', type: 'uint256' },
      { name: 'validBefore', type: 'uint256' },
      { name: 'nonce', type: 'bytes32' },
      { name: 'v', type: 'uint8' },
      { name: 'r', type: 'bytes32' },
      { name: 's', type: 'bytes32' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'authorizationState',
    stateMutability: 'view',
    inputs: [
      { name: 'authorizer', type: 'address' },
      { name: 'nonce', type: 'bytes32' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
  { type: 'function', name: 'balanceOf', stateMutability: 'view', inputs: [{ name: 'account', type: 'address' }], outputs: [{ name: '', type: 'uint256' }] },
  { type: 'function', name: 'DOMAIN_SEPARATOR', stateMutability: 'view', inputs: [], outputs: [{ name: '', type: 'bytes32' }] },
  {
    type: 'event',
    name: 'AuthorizationUsed',
    inputs: [
      { name: 'authorizer', type: 'address', indexed: true },
      { name: 'nonce', type: 'bytes32', indexed: true },
    ],
    anonymous: false,
  },
  {
    type: 'event',
    name: 'Transfer',
    inputs: [
      { name: 'from', type: 'address', indexed: true },
      { name: 'to', type: 'address', indexed: true },
      { name: 'value', type: 'uint256', indexed: false },
    ],
    anonymous: false,
  },
  { type: 'error', name: 'AuthorizationExpired', inputs: [{ name: 'validBefore', type: 'uint256' }, { name: 'blockTimestamp', type: 'uint256' }] },
  { type: 'error', name: 'AuthorizationNotYetValid', inputs: [{ name: 'validAfter', type: 'uint256' }, { name: 'blockTimestamp', type: 'uint256' }] },
  { type: 'error', name: 'ERC3009InvalidAuthorizationTime', inputs: [{ name: 'validAfter', type: 'uint256' }, { name: 'validBefore', type: 'uint256' }] },
  { type: 'error', name: 'ERC3009InvalidSignature', inputs: [] },
  { type: 'error', name: 'ERC3009UsedAuthorization', inputs: [{ name: 'authorizer', type: 'address' }, { name: 'nonce', type: 'bytes32' }] },
  { type: 'error', name: 'ERC20InsufficientBalance', inputs: [{ name: 'sender', type: 'address' }, { name: 'balance', type: 'uint256' }, { name: 'needed', type: 'uint256' }] },
  { type: 'error', name: 'ERC20InvalidReceiver', inputs: [{ name: 'receiver', type: 'address' }] },
  { type: 'error', name: 'ERC20InvalidSender', inputs: [{ name: 'sender', type: 'address' }] },
] as const;

/** The short reason for each custom error above: what `errorReason` says. */
export const TOKEN_ERROR_REASONS: Readonly<Record<string, string>> = {
  AuthorizationExpired: 'authorization expired',
  AuthorizationNotYetValid: 'authorization not yet valid',
  ERC3009InvalidAuthorizationTime: 'authorization not valid at this time',
  ERC3009InvalidSignature: 'invalid signature',
  ERC3009UsedAuthorization: 'authorization already used',
  ERC20InsufficientBalance: 'insufficient balance',
  ERC20InvalidReceiver: 'invalid receiver',
  ERC20InvalidSender: 'invalid sender',
};
