import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A server the stack test started: its output, and a way to stop it. */
export interface StackProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `command args` with `env` added, keeping its output for failure messages. */
export function startProcess(name: string, command: string, args: string[], env: Record<string, string> = {}): StackProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = once(child, 'exit');
  return {
    name,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} (not within ${timeoutMs} ms)${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves when `url` answers with a 2xx. */
export function ready(process: StackProcess, url: string, init?: RequestInit): Promise<true> {
  return eventually(`${process.name} ready at ${url}; output: ${process.output().slice(-2000)}`, async () => {
    if (process.child.exitCode !== null) throw new Error(`${process.name} exited with ${process.child.exitCode}: ${process.output().slice(-3000)}`);
    const response = await fetch(url, init);
    await response.arrayBuffer();
    return response.ok ? true : undefined;
  }, 30_000, 200);
}
