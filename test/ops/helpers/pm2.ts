import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opsPath } from './paths.js';

const PM2_BIN = createRequire(import.meta.url).resolve('pm2/bin/pm2');

/** A pm2 daemon of the test's own: its home in a temporary folder, killed by `kill()`. */
export interface Pm2 {
  readonly home: string;
  /** Runs `pm2 <args>`; resolves with its output, rejects when it exits non-zero. */
  run(...args: string[]): Promise<string>;
  /** `pm2 logs <app> --nostream --raw`: the last lines of its log files (pm2 prints the error log's on stderr). */
  logs(app: string, lines: number): Promise<string>;
  /** `pm2 jlist`: every process pm2 runs, with its pid. */
  processes(): Promise<Array<{ name: string; pid: number; status: string }>>;
  /**
   * Writes a process file that takes `file` (in otel-collector/) as it is and changes only
   * what a test machine needs: its log files into the home folder, the port, the
   * environment of `extraEnv`, and the number of cluster workers. Returns its path.
   */
  processFile(file: string, only: string, port: number, extraEnv: Record<string, string>, instances?: number): string;
  kill(): Promise<void>;
}

/** Starts nothing yet: pm2's daemon starts with the first command. */
export function createPm2(): Pm2 {
  const home = mkdtempSync(join(tmpdir(), 'twinkle-pm2-'));
  // pm2 asks a server of its own for its latest version on a home's first use ('touch'
  // absent) and daily: not from a test.
  writeFileSync(join(home, 'touch'), String(Date.now()));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') env[k] = v;
  Object.assign(env, { PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true' });
  const runBoth = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [PM2_BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`pm2 ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });
  const run = async (...args: string[]): Promise<string> => (await runBoth(...args)).stdout;
  return {
    home,
    run,
    async logs(app, lines) {
      const { stdout, stderr } = await runBoth('logs', app, '--nostream', '--lines', String(lines), '--raw');
      return `${stdout}\n${stderr}`;
    },
    async processes() {
      const list = JSON.parse(await run('jlist')) as Array<{ name: string; pid: number; pm2_env: { status: string } }>;
      return list.map((p) => ({ name: p.name, pid: p.pid, status: p.pm2_env.status }));
    },
    processFile(file, only, port, extraEnv, instances) {
      const path = join(home, `test-${file.replace(/\.config\.cjs$/, '')}.config.cjs`);
      writeFileSync(
        path,
        `const { apps } = require(${JSON.stringify(opsPath(file))});
module.exports = { apps: apps.filter((a) => a.name === ${JSON.stringify(only)}).map((a) => ({
  ...a,
  ${instances === undefined ? '' : `instances: ${instances},`}
  out_file: ${JSON.stringify(join(home, 'app.log'))},
  error_file: ${JSON.stringify(join(home, 'app.error.log'))},
  env: { ...a.env, PORT: ${JSON.stringify(String(port))}, ...${JSON.stringify(extraEnv)} },
})) };
`,
      );
      return path;
    },
    async kill() {
      await run('kill').catch(() => undefined);
      // Whatever pm2 did not stop (its daemon, if `kill` failed) is stopped by its pid file.
      try {
        process.kill(Number(readFileSync(join(home, 'pm2.pid'), 'utf8')), 'SIGKILL');
      } catch {
        // gone already
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
