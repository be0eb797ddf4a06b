import { connect } from 'node:net';
import { parseSnapshot, type WorkerSnapshot } from './worker-snapshot.js';

/** What asking one peer gave: its snapshot; nothing because it is gone; or nothing in time. */
export type PeerAnswer =
  | { readonly state: 'answered'; readonly snapshot: WorkerSnapshot }
  | { readonly state: 'gone' }
  | { readonly state: 'missing' };

/**
 * Asks the worker listening on `path` for its snapshot, waiting at most `timeoutMs`.
 * A socket nobody listens on any more (the worker exited) refuses at once: `gone`. A
 * stopped or hung worker accepts (the kernel queues the connection) and never answers:
 * `missing` when the bound runs out, as is an answer that is not a snapshot. Never
 * rejects; the connection never holds the process.
 */
export function askPeer(path: string, timeoutMs: number): Promise<PeerAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (answer: PeerAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = connect(path);
    socket.unref();
    const timer = setTimeout(() => settle({ state: 'missing' }), timeoutMs);
    timer.unref();
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      const snapshot = parseSnapshot(Buffer.concat(chunks).toString('utf8'));
      settle(snapshot === undefined ? { state: 'missing' } : { state: 'answered', snapshot });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      settle(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? { state: 'gone' } : { state: 'missing' });
    });
  });
}
