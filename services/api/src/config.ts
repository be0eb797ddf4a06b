import { EnvReader, type Env } from '@twinkle/service-kit/env';

/** The API service's configuration, read from the environment in this one place. */
export interface ApiConfig {
  /** `HOST` @default 127.0.0.1 */
  readonly host: string;
  /** `PORT` @default 3000 */
  readonly port: number;
  /** `REDIS_URL` @default redis://127.0.0.1:6379 */
  readonly redisUrl: string;
  /** `DATABASE_URL` @default postgres://postgres@127.0.0.1:5432/twinkle */
  readonly databaseUrl: string;
  /** `FACILITATOR_URL`: where settlements are sent. @default http://127.0.0.1:3001 */
  readonly facilitatorUrl: string;
  /**
   * `TRUST_PROXY`: how many proxies in front of the API append to `X-Forwarded-For`.
   * 0 (unset, `false`) uses the socket's address; `true` means 1. @default 0
   */
  readonly trustProxyHops: number;
  /** `RATE_LIMIT_MAX` requests per client IP per window. @default 200 */
  readonly rateLimitMax: number;
  /** `RATE_LIMIT_WINDOW_SECONDS` @default 60 */
  readonly rateLimitWindowSeconds: number;
  /** `HEALTH_CHECK_TIMEOUT_MS`: each `/health` check's bound. @default 1000 */
  readonly healthCheckTimeoutMs: number;
  /** `DEPENDENCY_TIMEOUT_MS`: bound on one Redis command or database query. @default 2000 */
  readonly dependencyTimeoutMs: number;
  /** `SETTLEMENT_TIMEOUT_MS`: how long a settlement call to the facilitator may take. @default 60000 */
  readonly settlementTimeoutMs: number;
  /**
   * `RECONCILE_INTERVAL_MS`: how often payments whose settlement outcome is unknown
   * (`pending`, or `settling` with no request waiting) are looked up at the facilitator;
   * also done at start-up. @default 15000
   */
  readonly reconcileIntervalMs: number;
  /** `SHUTDOWN_TIMEOUT_MS`: how long in-flight requests may run after SIGTERM. @default 10000 */
  readonly shutdownTimeoutMs: number;
  /** `PAID_RESOURCE_PRICE`: what one `GET /paid/:resource` costs, in the token's base units. @default 10000 (0.01 of a 6-decimal token) */
  readonly paidResourcePrice: string;
  /** `PAID_RESOURCE_PAY_TO`: the address paid for `GET /paid/:resource`; unset, those requests answer 503. */
  readonly paidResourcePayTo: string | undefined;
}

/** Reads the API's settings; `problems` holds one line per bad value (the default was used). */
export function readApiConfig(env: Env = process.env): { config: ApiConfig; problems: string[] } {
  const read = new EnvReader(env);
  const config: ApiConfig = {
    host: read.string('HOST', '127.0.0.1'),
    port: read.port('PORT', 3000),
    redisUrl: read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss']),
    databaseUrl: read.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/twinkle', ['postgres', 'postgresql']),
    facilitatorUrl: read.url('FACILITATOR_URL', 'http://127.0.0.1:3001', ['http', 'https']),
    trustProxyHops: readTrustProxy(env.TRUST_PROXY, read.problems),
    rateLimitMax: read.integer('RATE_LIMIT_MAX', 200, 1, 1_000_000),
    rateLimitWindowSeconds: read.integer('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    healthCheckTimeoutMs: read.integer('HEALTH_CHECK_TIMEOUT_MS', 1000, 10, 60_000),
    dependencyTimeoutMs: read.integer('DEPENDENCY_TIMEOUT_MS', 2000, 10, 60_000),
    settlementTimeoutMs: read.integer('SETTLEMENT_TIMEOUT_MS', 60_000, 100, 600_000),
    reconcileIntervalMs: read.integer('RECONCILE_INTERVAL_MS', 15_000, 100, 3_600_000),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    paidResourcePrice: String(read.integer('PAID_RESOURCE_PRICE', 10_000, 1, Number.MAX_SAFE_INTEGER)),
    paidResourcePayTo: readPayTo(env.PAID_RESOURCE_PAY_TO, read.problems),
  };
  return { config, problems: read.problems };
}

function readTrustProxy(raw: string | undefined, problems: string[]): number {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'false' || value === '0') return 0;
  if (value === 'true') return 1;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  problems.push(`TRUST_PROXY=${JSON.stringify(raw)} is not valid (accepted: true, false, or the number of proxies, 0-99); using false`);
  return 0;
}

function readPayTo(raw: string | undefined, problems: string[]): string | undefined {
  const value = raw?.trim() ?? '';
  if (value === '') return undefined;
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) return value;
  problems.push(`PAID_RESOURCE_PAY_TO=${JSON.stringify(raw)} is not valid (accepted: a 0x-prefixed 20-byte hex address); paid resources answer 503`);
  return undefined;
}
