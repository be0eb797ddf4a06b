import { hash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where a cluster worker meets the other workers of its group, and who it is there. */
export interface WorkerGroup {
  /** The folder of every group of this user (`<tmp>/twinkle-cluster-<uid>`). */
  readonly root: string;
  /** This group's folder: `<root>/<primary's pid>-<app hash>`. */
  readonly path: string;
  /** This worker's id: `<pid>-<random>`, since a pid can be reused by a later worker. */
  readonly id: string;
}

/**
 * The group of this process when it is a `node:cluster` worker (pm2 cluster mode forks
 * its workers so too), else undefined. A process without an IPC channel is no worker and
 * pays one `typeof` for the check. Workers are one group when they have the same primary
 * (pm2's daemon, under pm2) and run the same app: `app` names it (the service name and
 * the script, or pm2's app name), since one pm2 daemon runs every app of the host.
 */
export function findWorkerGroup(app: string): WorkerGroup | undefined {
  if (typeof process.send !== 'function') return undefined;
  // Loaded only by processes with an IPC channel (a cluster worker has it loaded already).
  const cluster = require('node:cluster') as import('node:cluster').Cluster;
  if (!cluster.isWorker) return undefined;
  const root = join(tmpdir(), `twinkle-cluster-${process.getuid?.() ?? 'user'}`);
  const path = join(root, `${process.ppid}-${hash('sha1', app).slice(0, 12)}`);
  return { root, path, id: `${process.pid}-${randomBytes(4).toString('hex')}` };
}

/** Whether `pid` is a running process (EPERM: running, someone else's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
