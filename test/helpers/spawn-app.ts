import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** Where the test apps live. */
export const FIXTURES = fileURLToPath(new URL('../e2e/fixtures/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A test app running in its own Node process. */
export interface RunningApp {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything the process wrote to stdout so far, split into lines. */
  stdoutLines(): string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** stdout lines that parse as JSON objects (pino log lines). */
  jsonLines(): Array<Record<string, unknown>>;
  /** stderr lines that parse as JSON objects (the agent's own lines, with TWINKLE_DIAGNOSTICS' default). */
  stderrJsonLines(): Array<Record<string, unknown>>;
  /** JSON lines of both streams, stdout's first: every log line, wherever it was written. */
  logLines(): Array<Record<string, unknown>>;
  /** The agent's own lines (`name: "@twinkle/agent"`), from either stream. */
  agentLines(): Array<Record<string, unknown>>;
  /** Sends a signal and waits for the exit code and signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Node flags before the script, e.g. ['--import', '@twinkle/agent']. */
  readonly nodeArgs?: string[];
  readonly env?: Record<string, string | undefined>;
  /** How long to wait until the app is listening. */
  readonly timeoutMs?: number;
  /** What the app prints (stdout or stderr) once listening; group 1 is the port. @default /LISTENING (\d+)/ */
  readonly listening?: RegExp;
  /** The Node binary. @default APP_NODE */
  readonly node?: string;
  /** The folder it runs in (where `@twinkle/agent` resolves from). @default the repository root */
  readonly cwd?: string;
}

/**
 * The Node that runs the apps under test: `TWINKLE_TEST_NODE` when set (CI runs the
 * end-to-end tests again on Node 22 with it, see .ci/run), else the one running the tests.
 */
export const APP_NODE = process.env.TWINKLE_TEST_NODE || process.execPath;

/** The agent's preload flags. */
export const WITH_AGENT = ['--import', '@twinkle/agent'];

/**
 * Starts `node <nodeArgs> <fixture>` from the repository root (so `@twinkle/agent`
 * resolves through the workspace), or `options.cwd`, with a clean OTEL environment plus `env`, and waits
 * until the app prints `LISTENING <port>` on stderr (or `options.listening` anywhere).
 * `fixture` is a file in FIXTURES or an absolute path.
 */
export async function spawnApp(fixture: string, options: SpawnOptions = {}): Promise<RunningApp> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('SENTRY_') && k !== 'LOG_LEVEL' && k !== 'NODE_OPTIONS') env[k] = v;
  }
  // Tests never send telemetry anywhere unless they say so.
  env.OTEL_TRACES_EXPORTER = 'none';
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  env.PORT ??= '0';
  const script = fixture.startsWith('/') ? fixture : FIXTURES + fixture;
  const listening = options.listening ?? /LISTENING (\d+)/;
  const child = spawn(options.node ?? APP_NODE, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${fixture} did not start in time; stderr: ${stderr}; stdout: ${stdout}`)),
      options.timeoutMs ?? 15_000,
    );
    const onData = (): void => {
      const m = listening.exec(stderr) ?? (options.listening === undefined ? null : listening.exec(stdout));
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.stdout!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${fixture} exited with ${code} before listening; stderr: ${stderr}; stdout: ${stdout}`));
    });
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stdoutLines: () => stdout.split('\n').filter(Boolean),
    stderr: () => stderr,
    jsonLines: () => parseJsonLines(stdout),
    stderrJsonLines: () => parseJsonLines(stderr),
    logLines: () => [...parseJsonLines(stdout), ...parseJsonLines(stderr)],
    agentLines: () => [...parseJsonLines(stdout), ...parseJsonLines(stderr)].filter((l) => l.name === '@twinkle/agent'),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code, sig] = await exited;
      clearTimeout(timer);
      return { code, signal: sig };
    },
  };
}

/** The lines of `text` that are JSON objects (a line of another kind, a stack trace say, is skipped). */
function parseJsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
