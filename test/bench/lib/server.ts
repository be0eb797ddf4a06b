import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

/** A benchmark server process pinned to one core. */
export interface BenchServer {
  readonly child: ChildProcess;
  /** Milliseconds from spawn to the first 200 answer. */
  readonly startupMs: number;
  /** Resident set size now, in MB (VmRSS). */
  rssMb(): number;
  stop(): Promise<void>;
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Starts `node <nodeArgs> <script>` on `core` and waits for the first 200 on `path`. The
 * whole process is pinned (taskset), so work it moves to a thread still counts on that core.
 */
export async function startServer(options: {
  script: string;
  nodeArgs: readonly string[];
  env: Record<string, string>;
  port: number;
  /** A taskset list: one core, or several ("0,1"). */
  core: number | string;
  path: string;
  cwd: string;
}): Promise<BenchServer> {
  const started = performance.now();
  const child = spawn('taskset', ['-c', String(options.core), process.execPath, ...options.nodeArgs, options.script], {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const kill = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  for (;;) {
    if (exited) throw new Error(`node ${options.nodeArgs.join(' ')} ${options.script} exited during start-up`);
    if ((await getStatus(options.port, options.path)) === 200) break;
    await new Promise((r) => setTimeout(r, 1));
    if (performance.now() - started > 20_000) {
      kill();
      throw new Error('server did not answer 200 within 20 s');
    }
  }
  const startupMs = performance.now() - started;
  return {
    child,
    startupMs,
    rssMb() {
      // taskset execs node, so the child's pid is the server's
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]) / 1024;
    },
    async stop() {
      process.removeListener('exit', kill);
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await done;
    },
  };
}
