import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fetchReceiverCounts, type ReceiverCounts } from './receiver-counts.ts';
import type { ReceiverKind } from './setups.ts';

/** The benchmark's trace receivers, running. */
export interface Receivers {
  readonly ports: Readonly<Record<ReceiverKind, number>>;
  counts(kind: ReceiverKind): Promise<ReceiverCounts>;
  stop(): void;
}

const SCRIPTS: Record<ReceiverKind, string> = {
  otlp: fileURLToPath(new URL('../otlp-receiver.ts', import.meta.url)),
  datadog: fileURLToPath(new URL('../datadog-agent-receiver.ts', import.meta.url)),
};

/**
 * Starts the OTLP and Datadog agent receivers on `core` at the lowest priority: they share
 * that core with the load generator, and on a real deployment they run elsewhere.
 */
export async function startReceivers(options: { core: number; ports: Record<ReceiverKind, number>; env: Record<string, string> }): Promise<Receivers> {
  const children: ChildProcess[] = [];
  const stop = (): void => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  // A benchmark that dies must not leave its receivers behind (inside `unshare -n` nothing else would end them).
  process.once('exit', stop);
  for (const kind of ['otlp', 'datadog'] as const) {
    const child = spawn('taskset', ['-c', String(options.core), 'nice', '-n', '19', process.execPath, SCRIPTS[kind]], {
      env: { ...options.env, PORT: String(options.ports[kind]) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${kind} receiver exited with ${code} before it was ready`)));
      child.stderr!.once('data', (line: Buffer) => (String(line).includes('ready') ? resolve() : reject(new Error(`${kind} receiver: ${String(line)}`))));
    });
    child.stderr!.pipe(process.stderr);
  }
  return {
    ports: options.ports,
    counts: (kind) => fetchReceiverCounts(options.ports[kind]),
    stop,
  };
}
