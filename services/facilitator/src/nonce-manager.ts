import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '@twinkle/service-kit/with-timeout';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Address } from 'viem';

/** Releases the lock only if this holder still owns it. */
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface NonceManagerOptions {
  readonly redis: Redis;
  readonly address: Address;
  readonly chainId: number;
  /** The chain's next nonce for the account, pending transactions included. */
  readonly chainNonce: () => Promise<number>;
  /** Longest a broadcast may hold the lock before another holder may take it. */
  readonly lockTtlMs: number;
  /** Longest a settlement waits for the lock. */
  readonly lockWaitMs: number;
  readonly redisTimeoutMs: number;
  readonly log: Logger;
}

/** The nonce manager could not be used (Redis down, or the lock stayed taken). */
export class NonceManagerUnavailableError extends Error {
  override readonly name = 'NonceManagerUnavailableError';
}

/**
 * Hands out the facilitator account's nonces, shared by every replica through Redis:
 * `facilitator:nonce:<chainId>:<address>` holds the next nonce, and `...:lock` serialises
 * "take a nonce, sign, broadcast", so no nonce is used twice. Each allocation checks the
 * stored nonce against the chain's pending count and resyncs (logged) when they
 * disagree: a broadcast that failed, a dropped transaction, a restarted dev chain or
 * another sender using the account would otherwise leave a gap or a stuck transaction.
 * A key missing from Redis is rebuilt from the chain, with one log line.
 */
export class NonceManager {
  readonly nonceKey: string;
  private readonly lockKey: string;
  /** Whether this process has stored the key: a missing key after that means Redis lost it. */
  private stored = false;

  constructor(private readonly options: NonceManagerOptions) {
    this.nonceKey = `facilitator:nonce:${options.chainId}:${options.address.toLowerCase()}`;
    this.lockKey = `${this.nonceKey}:lock`;
  }

  /** Runs `broadcast` with the next nonce while holding the lock; the stored nonce moves on when it succeeds. */
  async withNextNonce<T>(broadcast: (nonce: number) => Promise<T>): Promise<T> {
    const token = await this.lock();
    try {
      const [stored, chain] = await Promise.all([this.redis(this.options.redis.get(this.nonceKey)), this.options.chainNonce()]);
      if (stored !== null && Number(stored) !== chain) {
        this.options.log.warn({ nonceKey: this.nonceKey, redisNonce: Number(stored), chainNonce: chain }, 'nonce resynced from the chain');
      } else if (stored === null) {
        // Missing after this process stored it: Redis lost its data (a restart without persistence, a flush).
        if (this.stored) this.options.log.warn({ nonceKey: this.nonceKey, chainNonce: chain }, 'nonce key missing from Redis (its data was lost); rebuilt from the chain');
        else this.options.log.info({ nonceKey: this.nonceKey, chainNonce: chain }, 'nonce key not in Redis; starting from the chain');
      }
      const result = await broadcast(chain);
      // The transaction is out: if the next nonce cannot be stored, the next allocation resyncs it.
      await this.redis(this.options.redis.set(this.nonceKey, String(chain + 1))).then(
        () => {
          this.stored = true;
        },
        (error: unknown) => {
          this.options.log.warn({ err: error, nonceKey: this.nonceKey }, 'could not store the next nonce');
        },
      );
      return result;
    } finally {
      await this.unlock(token);
    }
  }

  private async lock(): Promise<string> {
    const token = randomUUID();
    const deadline = Date.now() + this.options.lockWaitMs;
    for (let attempt = 0; ; attempt += 1) {
      const taken = await this.redis(this.options.redis.set(this.lockKey, token, 'PX', this.options.lockTtlMs, 'NX'));
      if (taken === 'OK') return token;
      if (Date.now() >= deadline) throw new NonceManagerUnavailableError(`nonce lock ${this.lockKey} still taken after ${this.options.lockWaitMs} ms`);
      await sleep(Math.min(2 + attempt * 2, 25) + Math.random() * 5);
    }
  }

  private async unlock(token: string): Promise<void> {
    await this.redis(this.options.redis.eval(RELEASE_LOCK, 1, this.lockKey, token)).catch((error: unknown) => {
      this.options.log.warn({ err: error }, `could not release ${this.lockKey}; it expires in ${this.options.lockTtlMs} ms`);
    });
  }

  private redis<T>(command: Promise<T>): Promise<T> {
    return withTimeout(command, this.options.redisTimeoutMs, 'Redis').catch((error: unknown) => {
      throw error instanceof NonceManagerUnavailableError ? error : new NonceManagerUnavailableError('Redis unavailable for the nonce manager', { cause: error });
    });
  }
}
