/**
 * The processes a command such as `npm run up` starts: each is started with its output
 * kept (to a file, or inherited), awaited until it answers, and stopped in the reverse order
 * of starting (SIGTERM, then SIGKILL after a grace period), so the services flush their
 * spans to a collector that is still there, and the collector to Jaeger. Each member runs in
 * a process group of its own: Ctrl-C in the terminal reaches only the command, which then
 * stops the members in order, each with whatever it started (Anvil's npm wrapper and Anvil).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface GroupMember {
  readonly name: string;
  readonly child: ChildProcess;
  /** Where its output goes: a file, or the terminal. */
  readonly output: string;
}

export interface StartOptions {
  readonly env?: Record<string, string | undefined>;
  /** A file for stdout and stderr; without one they are the terminal's. */
  readonly logFile?: string;
  readonly cwd?: string;
  /** How long it may take to stop after SIGTERM before SIGKILL (ms). @default 15000 */
  readonly graceMs?: number;
}

export class ProcessGroup {
  private readonly members: Array<GroupMember & { graceMs: number }> = [];
  private stopping = false;
  private readonly onUnexpectedExit: (member: GroupMember, how: string) => void;

  /** `onUnexpectedExit` runs when a member exits before `stopAll`. */
  constructor(onUnexpectedExit: (member: GroupMember, how: string) => void) {
    this.onUnexpectedExit = onUnexpectedExit;
  }

  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): GroupMember {
    const fd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: fd === undefined ? 'inherit' : ['ignore', fd, fd],
      detached: true,
    });
    if (fd !== undefined) closeSync(fd);
    const member = { name, child, output: options.logFile ?? 'this terminal', graceMs: options.graceMs ?? 15_000 };
    this.members.push(member);
    child.once('error', (error) => {
      if (!this.stopping) this.onUnexpectedExit(member, `could not start ${command}: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.onUnexpectedExit(member, signal === null ? `exit code ${code}` : `signal ${signal}`);
    });
    return member;
  }

  /** Stops every member, the last started first; resolves when all have exited. */
  async stopAll(say: (line: string) => void): Promise<void> {
    this.stopping = true;
    for (const member of [...this.members].reverse()) {
      const { child } = member;
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const pgid = child.pid;
      signalGroup(pgid, 'SIGTERM');
      const timer = setTimeout(() => {
        say(`${member.name} did not stop within ${member.graceMs / 1000} s: killing it`);
        signalGroup(pgid, 'SIGKILL');
      }, member.graceMs);
      await exited;
      clearTimeout(timer);
      // What it started and left behind goes with it.
      signalGroup(pgid, 'SIGKILL');
      say(`stopped ${member.name}`);
    }
  }
}

/** Sends `signal` to every process of the group `pgid`; a group already gone is fine. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // no such process group: all of it has exited
  }
}

/** Resolves once `check` returns true, polling every `intervalMs`; rejects after `timeoutMs` or when `gone()` says the process exited. */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: { timeoutMs: number; intervalMs?: number; gone?: () => boolean }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.gone?.()) throw new Error(`${what}: the process exited`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: no answer within ${options.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** Whether `url` answers with a 2xx (the body is read and dropped), within 2 s. */
export async function answersOk(url: string, init?: RequestInit): Promise<boolean> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.ok;
}
