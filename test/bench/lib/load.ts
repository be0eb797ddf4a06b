import { execFile, execFileSync } from 'node:child_process';

/** What one load run measured. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version
    return (err as { status?: number }).status === 1;
  }
}

const WRK = hasWrk();

/** The load generator in use. */
export const LOAD_TOOL = WRK ? 'wrk' : 'autocannon';

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/** Drives `url` from another process pinned to `core` for `seconds`, with `connections` keep-alive connections. */
export function runLoad(url: string, options: { seconds: number; connections: number; core: number }): Promise<LoadResult> {
  const args = WRK
    ? ['-c', String(options.core), 'wrk', '-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', url]
    : ['-c', String(options.core), 'npx', 'autocannon', '-j', '-c', String(options.connections), '-d', String(options.seconds), url];
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      if (!WRK) {
        const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p99: number }; non2xx: number };
        return resolve({ requestsPerSecond: r.requests.average, p99Ms: r.latency.p99, non2xx: r.non2xx });
      }
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(stdout);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
      if (!rps || !p99) return reject(new Error(`cannot read wrk output:\n${stdout}`));
      resolve({ requestsPerSecond: Number(rps[1]), p99Ms: toMs(p99[1], p99[2]), non2xx: non2xx ? Number(non2xx[1]) : 0 });
    });
  });
}
