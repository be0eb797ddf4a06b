import type { Logger } from 'pino';
import { withTimeout } from './with-timeout.js';

/** One dependency check: resolves when the dependency answers, rejects otherwise. */
export type HealthCheck = () => Promise<unknown>;

export interface CheckResult {
  readonly status: 'ok' | 'error';
  /** Milliseconds the check took (up to the timeout). */
  readonly latency: number;
}

/** The monitoring contract's `/health` body. */
export interface HealthReport {
  readonly status: 'healthy' | 'unhealthy';
  readonly timestamp: string;
  readonly uptime: number;
  readonly checks: Record<string, CheckResult>;
  readonly service: string;
}

/**
 * Runs every check at once, each bounded by `timeoutMs`, and builds the contract's body.
 * Why a check failed goes to the log only: the body holds status and latency, so no
 * connection string or key can leak through a probe.
 */
export async function runHealthChecks(service: string, checks: Record<string, HealthCheck>, timeoutMs: number, log: Logger): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(
    names.map(async (name): Promise<CheckResult> => {
      const started = performance.now();
      try {
        await withTimeout(Promise.resolve().then(checks[name]), timeoutMs, `health check ${name}`);
        return { status: 'ok', latency: Math.round(performance.now() - started) };
      } catch (error) {
        log.warn({ check: name, err: error }, `health check ${name} failed`);
        return { status: 'error', latency: Math.round(performance.now() - started) };
      }
    }),
  );
  const entries = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
  return {
    status: results.every((result) => result.status === 'ok') ? 'healthy' : 'unhealthy',
    timestamp: new Date().toISOString(),
    uptime: Math.floor(process.uptime()),
    checks: entries,
    service,
  };
}

/** 200 when healthy, 503 otherwise (the contract's status codes). */
export function healthStatusCode(report: HealthReport): 200 | 503 {
  return report.status === 'healthy' ? 200 : 503;
}
