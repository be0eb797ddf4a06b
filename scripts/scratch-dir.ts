/**
 * One temporary folder for everything a run writes (`npm start`, `npm run up`, a test run):
 * `<tmp>/<prefix>-<pid>-XXXXXX`, removed when the process exits, after Ctrl-C or SIGTERM too.
 * A run killed without a chance to clean up (SIGKILL, a power cut) leaves its folder behind
 * under its dead pid; the next run of the same kind removes it before it starts.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScratchDir {
  readonly path: string;
  /** Removes the folder now (idempotent; also done at exit). */
  remove(): void;
}

/** Whether a process with this pid is alive (EPERM means it is, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the folders earlier runs of `prefix` left when they were killed. */
export function sweepStale(prefix: string, parent = tmpdir()): string[] {
  const removed: string[] = [];
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-`);
  for (const name of readdirSync(parent)) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || alive(Number(pid))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Creates this run's folder (mode 0711: other users, such as PostgreSQL's, may reach a
 * folder inside it they were given, but cannot list it) and removes it at exit.
 */
export function createScratchDir(prefix: string): ScratchDir {
  sweepStale(prefix);
  const path = mkdtempSync(join(tmpdir(), `${prefix}-${process.pid}-`));
  chmodSync(path, 0o711);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    rmSync(path, { recursive: true, force: true });
  };
  process.once('exit', remove);
  return { path, remove };
}
