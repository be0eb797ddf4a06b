import { describe, expect, it } from 'vitest';
import { startSettlement, withSettlement } from '../../agent/src/api.js';

describe('@twinkle/agent/api without the agent', () => {
  it('returns what the settlement returns', async () => {
    await expect(withSettlement('paywall', async () => 42)).resolves.toBe(42);
  });

  it('rethrows the settlement error unchanged', async () => {
    const error = new Error('reverted');
    await expect(
      withSettlement('direct', async () => {
        throw error;
      }),
    ).rejects.toBe(error);
  });

  it('does not throw for values outside the label sets from untyped callers', async () => {
    const untyped = withSettlement as (type: string, fn: () => Promise<number>) => Promise<number>;
    await expect(untyped('bogus', async () => 1)).resolves.toBe(1);
    const timer = startSettlement('subscription');
    expect(() => (timer.end as (s: string) => void)('exploded')).not.toThrow();
    expect(() => timer.end('success')).not.toThrow();
  });
});
