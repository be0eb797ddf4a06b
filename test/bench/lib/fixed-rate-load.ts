import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FixedRateResult } from './fixed-rate-result.ts';

const CLIENT = fileURLToPath(new URL('../fixed-rate-client.ts', import.meta.url));
const require = createRequire(import.meta.url);

/** The installed autocannon's version. */
export const AUTOCANNON_VERSION = (require('autocannon/package.json') as { version: string }).version;

/** Which tool paces the fixed-rate load: fixed-rate-client.ts, or autocannon's --overallRate (BENCH_RATE_TOOL=autocannon). */
export type RateTool = 'fixed-rate-client' | 'autocannon';

/** Sends `rate` requests per second to `url` for `seconds` from a process pinned to `core`, and reads the latencies. */
export function runFixedRateLoad(
  url: string,
  options: { rate: number; seconds: number; connections: number; core: number; tool: RateTool },
): Promise<FixedRateResult> {
  const rate = Math.max(1, Math.round(options.rate));
  if (options.tool === 'autocannon') return runAutocannon(url, { ...options, rate });
  const args = ['-c', String(options.core), process.execPath, CLIENT, url, String(rate), String(options.seconds), String(options.connections)];
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { maxBuffer: 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      resolve(JSON.parse(stdout) as FixedRateResult);
    });
  });
}

/**
 * autocannon -R: each connection spends rate / connections requests back-to-back at the start
 * of every second, so this is bursts at saturation, and its latencies are whole milliseconds;
 * kept to compare with fixed-rate-client.ts.
 */
function runAutocannon(url: string, options: { rate: number; seconds: number; connections: number; core: number }): Promise<FixedRateResult> {
  const bin = require.resolve('autocannon');
  const args = ['-c', String(options.core), process.execPath, bin, '-j', '-c', String(options.connections), '-R', String(options.rate), '-d', String(options.seconds), url];
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      const r = JSON.parse(stdout) as {
        requests: { average: number; total: number; sent: number };
        latency: { p50: number; p99: number; p99_9: number; max: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        rate: options.rate,
        scheduled: options.rate * options.seconds,
        sent: r.requests.sent,
        completed: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors,
        achievedRate: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        p999Ms: r.latency.p99_9,
        maxMs: r.latency.max,
        lowerBound: false,
      });
    });
  });
}
