import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_NODE, FIXTURES } from './spawn-app.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A script that ran to its end. */
export interface ScriptRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** What it wrote to stdout, when stdout was a pipe to the test. */
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Milliseconds from its `DONE` line on stderr (its work is done) to its exit; undefined without one. */
  readonly doneToExitMs: number | undefined;
}

export interface RunScriptOptions {
  /** Node flags before the script, e.g. ['--import', '@twinkle/agent']. */
  readonly nodeArgs?: string[];
  readonly env?: Record<string, string | undefined>;
  /** The script's stdout: a pipe read by the test (default), or a descriptor the test opened. */
  readonly stdout?: 'pipe' | number;
  readonly cwd?: string;
  /** A script that has not exited by then is killed and the run fails: no test waits for ever. */
  readonly timeoutMs?: number;
}

/**
 * Runs `node <nodeArgs> <script>` to its end with a clean OTEL environment plus `env`
 * (spans go nowhere unless `env` says so), as spawnApp starts apps. `script` is a file in
 * FIXTURES or an absolute path.
 */
export function runScript(script: string, options: RunScriptOptions = {}): Promise<ScriptRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('SENTRY_') && !k.startsWith('TWINKLE_') && k !== 'LOG_LEVEL' && k !== 'NODE_OPTIONS') env[k] = v;
  }
  env.OTEL_TRACES_EXPORTER = 'none';
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const path = script.startsWith('/') ? script : FIXTURES + script;
  const child = spawn(APP_NODE, [...(options.nodeArgs ?? []), path], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  let doneAt: number | undefined;
  child.stdout?.on('data', (d: Buffer) => stdout.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (doneAt === undefined && /^DONE$/m.test(stderr)) doneAt = performance.now();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${options.timeoutMs ?? 30_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once('exit', (code, signal) => {
      const exitedAt = performance.now();
      clearTimeout(timer);
      // The streams may still hold what was written just before the exit.
      child.once('close', () =>
        resolve({ code, signal, stdout: Buffer.concat(stdout), stderr, doneToExitMs: doneAt === undefined ? undefined : exitedAt - doneAt }),
      );
    });
  });
}

/** A FIFO in a folder of its own; `close()` closes what is still open and removes it. */
export interface TestPipe {
  /** The write end, to hand to a child as its stdout. */
  readonly writeFd: number;
  close(): void;
}

function makeFifo(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'twinkle-pipe-'));
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  return { dir, path };
}

/** A pipe whose reader has gone: every write to it fails with EPIPE. */
export function closedPipe(): TestPipe {
  const { dir, path } = makeFifo();
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  closeSync(reader);
  return {
    writeFd,
    close() {
      closeSync(writeFd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A pipe that is full and that nobody reads: a blocking write to it waits for ever. */
export function fullPipe(): TestPipe {
  const { dir, path } = makeFifo();
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  const filler = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  // Pages first, then single bytes: not one byte of room is left.
  for (const size of [4096, 1]) {
    const chunk = Buffer.alloc(size, 'x');
    for (;;) {
      try {
        writeSync(filler, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
    }
  }
  closeSync(filler);
  return {
    writeFd,
    close() {
      closeSync(writeFd);
      closeSync(reader);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
