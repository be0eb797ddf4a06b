import { withTimeout } from '@twinkle/service-kit/with-timeout';
import type { Redis } from 'ioredis';
import type { Hex } from 'viem';
import type { PaymentAuthorization } from './authorization.js';

/** Redis did not answer, so whether an authorization was claimed cannot be known. */
export class ClaimsUnavailableError extends Error {
  override readonly name = 'ClaimsUnavailableError';
}

/** What this facilitator (any replica) remembers of an authorization. */
export type ClaimRecord =
  /** A settlement took it at `claimedAtMs` and had not broadcast (or had not recorded) a transaction. */
  | { readonly kind: 'claimed'; readonly claimedAtMs: number }
  /** Its transaction was broadcast. */
  | { readonly kind: 'sent'; readonly transaction: Hex };

/** The longest a claim is kept (a year): an authorization valid longer is still refused by the token after a replay. */
const MAX_CLAIM_SECONDS = 365n * 86_400n;

/** Compare-and-delete: gives a claim back only if it still holds what was read. */
const DELETE_IF_UNCHANGED = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * The facilitator's fast path for "was this authorization taken": one key per
 * authorization, `facilitator:authorization:<from>:<nonce>`, set when a settlement claims
 * it (`claimed:<ms>`) and overwritten with the transaction hash once it is broadcast
 * (`tx:<hash>`), kept until a day after the authorization expires. Replicas share it, so
 * two requests with the same authorization do not both go to the chain. It is only a
 * fast path: the token's `authorizationState` decides, so losing these keys never lets an
 * authorization be sent twice.
 */
export class AuthorizationClaims {
  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs: number,
  ) {}

  /** True when this call claimed the authorization, false when it was claimed before. */
  async claim(authorization: PaymentAuthorization, nowSeconds: bigint): Promise<boolean> {
    // A day past expiry, but never beyond what Redis takes (validBefore may be any uint256).
    const ttl = Number(authorization.validBefore - nowSeconds > MAX_CLAIM_SECONDS ? MAX_CLAIM_SECONDS : authorization.validBefore - nowSeconds) + 86_400;
    const reply = await this.command(this.redis.set(claimKey(authorization), `claimed:${Date.now()}`, 'EX', ttl, 'NX'));
    return reply === 'OK';
  }

  /** Records the broadcast transaction on the claim (keeping its expiry). */
  async recordTransaction(authorization: PaymentAuthorization, transaction: Hex): Promise<void> {
    await this.command(this.redis.set(claimKey(authorization), `tx:${transaction}`, 'KEEPTTL', 'XX'));
  }

  /** What is remembered of the authorization; undefined when nothing (never claimed, expired, or lost with Redis's data). */
  async read(authorization: Pick<PaymentAuthorization, 'from' | 'nonce'>): Promise<ClaimRecord | undefined> {
    return parseRecord(await this.command(this.redis.get(claimKey(authorization))));
  }

  /** Gives a claim back when nothing reached the chain, so the payer may retry. */
  async release(authorization: Pick<PaymentAuthorization, 'from' | 'nonce'>): Promise<void> {
    await this.command(this.redis.del(claimKey(authorization)));
  }

  /** Gives back a claim that still is `record` (a settlement that died before broadcasting), so a concurrent one is never undone. */
  async releaseStale(authorization: Pick<PaymentAuthorization, 'from' | 'nonce'>, record: ClaimRecord & { kind: 'claimed' }): Promise<void> {
    await this.command(this.redis.eval(DELETE_IF_UNCHANGED, 1, claimKey(authorization), `claimed:${record.claimedAtMs}`));
  }

  private command<T>(command: Promise<T>): Promise<T> {
    return withTimeout(command, this.timeoutMs, 'Redis').catch((error: unknown) => {
      throw new ClaimsUnavailableError('Redis unavailable for authorization claims', { cause: error });
    });
  }
}

function claimKey(authorization: Pick<PaymentAuthorization, 'from' | 'nonce'>): string {
  return `facilitator:authorization:${authorization.from.toLowerCase()}:${authorization.nonce.toLowerCase()}`;
}

function parseRecord(value: string | null): ClaimRecord | undefined {
  if (value === null) return undefined;
  if (value.startsWith('tx:')) return { kind: 'sent', transaction: value.slice(3) as Hex };
  // `claimed:<ms>`; an older value (unix seconds alone) reads as a claim from then.
  const ms = Number(value.startsWith('claimed:') ? value.slice(8) : Number(value) * 1000);
  return { kind: 'claimed', claimedAtMs: Number.isFinite(ms) ? ms : 0 };
}
