import { withTimeout } from '@twinkle/service-kit/with-timeout';
import type { Redis } from 'ioredis';
import type { PaymentAuthorization } from './authorization.js';

/** Redis did not answer, so whether an authorization was used cannot be known. */
export class ClaimsUnavailableError extends Error {
  override readonly name = 'ClaimsUnavailableError';
}

/**
 * Remembers which authorizations were settled, so the same one settles at most once
 * (across replicas): `facilitator:authorization:<from>:<nonce>`, kept until a day after
 * the authorization expires.
 */
export class AuthorizationClaims {
  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs: number,
  ) {}

  /** True when this call claimed the authorization, false when it was claimed before. */
  async claim(authorization: PaymentAuthorization, nowSeconds: bigint): Promise<boolean> {
    const ttl = Number(authorization.validBefore - nowSeconds) + 86_400;
    const reply = await this.command(this.redis.set(claimKey(authorization), String(nowSeconds), 'EX', ttl, 'NX'));
    return reply === 'OK';
  }

  /** Gives a claim back when nothing reached the chain, so the payer may retry. */
  async release(authorization: PaymentAuthorization): Promise<void> {
    await this.command(this.redis.del(claimKey(authorization)));
  }

  private command<T>(command: Promise<T>): Promise<T> {
    return withTimeout(command, this.timeoutMs, 'Redis').catch((error: unknown) => {
      throw new ClaimsUnavailableError('Redis unavailable for authorization claims', { cause: error });
    });
  }
}

function claimKey(authorization: PaymentAuthorization): string {
  return `facilitator:authorization:${authorization.from.toLowerCase()}:${authorization.nonce}`;
}
