import { getConnInfo } from '@hono/node-server/conninfo';
import { withTimeout } from '@twinkle/service-kit/with-timeout';
import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { clientIp } from './client-ip.js';

/** Key prefix of the counters, as the monitoring contract's `redis-cli KEYS "api:ratelimit:*"` expects. */
export const RATE_LIMIT_KEY_PREFIX = 'api:ratelimit:';

/**
 * One fixed window per client: the first request creates the counter with the window as
 * its TTL; every request increments it. Atomic in Redis, so concurrent requests (and
 * several API replicas) count exactly. Returns [count, milliseconds left in the window].
 */
const INCREMENT_IN_WINDOW = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

export interface RateLimitOptions {
  readonly redis: Redis;
  readonly max: number;
  readonly windowSeconds: number;
  readonly trustProxyHops: number;
  readonly timeoutMs: number;
  readonly log: Logger;
}

/** Fail-open bookkeeping: how many requests went unlimited because Redis did not answer. */
export interface FailOpenCounter {
  total: number;
  sinceLastLog: number;
  lastLogAt: number;
}

const FAIL_OPEN_LOG_INTERVAL_MS = 10_000;

/**
 * Redis rate limiting per client IP, as the README states it: `X-RateLimit-Limit`,
 * `-Remaining`, `-Reset` (unix seconds) on every limited response, 429 with `Retry-After`
 * over the limit. When Redis fails or hangs the request is served (fail open); each
 * failure is counted, and a warning with the counts is logged at most every 10 s.
 */
export function rateLimit(options: RateLimitOptions): { middleware: MiddlewareHandler; failOpen: FailOpenCounter } {
  const failOpen: FailOpenCounter = { total: 0, sinceLastLog: 0, lastLogAt: 0 };
  const middleware: MiddlewareHandler = async (c, next) => {
    const ip = clientIp(getConnInfo(c).remote.address, c.req.header('x-forwarded-for'), options.trustProxyHops);
    let count: number;
    let ttlMs: number;
    try {
      const reply = (await withTimeout(options.redis.eval(INCREMENT_IN_WINDOW, 1, RATE_LIMIT_KEY_PREFIX + ip, options.windowSeconds * 1000), options.timeoutMs, 'Redis rate limit')) as [number, number];
      [count, ttlMs] = reply;
    } catch (error) {
      recordFailOpen(failOpen, error, options.log);
      return next();
    }
    const now = Date.now();
    const reset = Math.ceil((now + ttlMs) / 1000);
    const ttl = Math.max(Math.ceil(ttlMs / 1000), 1);
    c.header('X-RateLimit-Limit', String(options.max));
    c.header('X-RateLimit-Remaining', String(Math.max(options.max - count, 0)));
    c.header('X-RateLimit-Reset', String(reset));
    if (count > options.max) {
      c.header('Retry-After', String(ttl));
      return c.json({ error: 'rate limit exceeded', retryAfter: ttl }, 429);
    }
    return next();
  };
  return { middleware, failOpen };
}

function recordFailOpen(counter: FailOpenCounter, error: unknown, log: Logger): void {
  counter.total += 1;
  counter.sinceLastLog += 1;
  const now = Date.now();
  if (now - counter.lastLogAt < FAIL_OPEN_LOG_INTERVAL_MS) return;
  log.warn(
    { err: error, rateLimitFailOpen: counter.sinceLastLog, rateLimitFailOpenTotal: counter.total },
    'rate limiting unavailable (Redis did not answer): serving requests unlimited',
  );
  counter.sinceLastLog = 0;
  counter.lastLogAt = now;
}
