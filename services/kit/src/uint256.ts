const UINT256_MAX = 2n ** 256n - 1n;

/**
 * A uint256 from JSON: a decimal string of digits or a non-negative safe integer
 * (larger numbers lose precision in JSON, so they must come as strings). Undefined
 * for anything else, including floats, negatives, hex and values over 2^256 - 1.
 */
export function parseUint256(value: unknown): bigint | undefined {
  let parsed: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) parsed = BigInt(value);
  else if (typeof value === 'string' && /^\d{1,78}$/.test(value)) parsed = BigInt(value);
  else return undefined;
  return parsed <= UINT256_MAX ? parsed : undefined;
}
