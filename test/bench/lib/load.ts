import { execFile, execFileSync } from 'node:child_process';

/** What one saturation load run measured. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  /** Responses read (any status). */
  readonly requests: number;
  readonly non2xx: number;
}

function wrkVersion(): string | undefined {
  try {
    return execFileSync('wrk', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch (err) {
    // wrk --version exits 1 after printing its version
    const e = err as { status?: number; stdout?: string };
    return e.status === 1 ? String(e.stdout).split('\n')[0] : undefined;
  }
}

const WRK = wrkVersion();

/** The saturation load generator in use, with its version. */
export const LOAD_TOOL = WRK ? WRK.replace(/ Copyright.*/, '').trim() : 'autocannon (wrk not found)';

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/**
 * Drives `url` as hard as it answers, from another process pinned to `core`, for `seconds`,
 * with `connections` keep-alive connections (wrk -t1, or autocannon when wrk is missing).
 * `core` is a taskset list: one core, or several ("0,1").
 */
export function runLoad(url: string, options: { seconds: number; connections: number; core: number | string }): Promise<LoadResult> {
  const args = WRK
    ? ['-c', String(options.core), 'wrk', '-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', url]
    : ['-c', String(options.core), 'npx', 'autocannon', '-j', '-c', String(options.connections), '-d', String(options.seconds), url];
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      if (!WRK) {
        const r = JSON.parse(stdout) as { requests: { average: number; total: number }; latency: { p99: number }; non2xx: number };
        return resolve({ requestsPerSecond: r.requests.average, p99Ms: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx });
      }
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(stdout);
      const total = /^\s*(\d+) requests in /m.exec(stdout);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
      if (!rps || !p99 || !total) return reject(new Error(`cannot read wrk output:\n${stdout}`));
      resolve({
        requestsPerSecond: Number(rps[1]),
        p99Ms: toMs(p99[1], p99[2]),
        requests: Number(total[1]),
        non2xx: non2xx ? Number(non2xx[1]) : 0,
      });
    });
  });
}
