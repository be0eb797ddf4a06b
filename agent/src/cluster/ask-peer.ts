import { connect, type Socket } from 'node:net';
import { parseSnapshot, type WorkerSnapshot } from './worker-snapshot.js';

/** What asking one peer gave: its snapshot; nothing because it is gone; or nothing in time. */
export type PeerAnswer =
  | { readonly state: 'answered'; readonly snapshot: WorkerSnapshot }
  | { readonly state: 'gone' }
  | { readonly state: 'missing' };

/** An open connection to a peer, and the one request it may have in flight. */
interface Link {
  readonly socket: Socket;
  buffer: string;
  pending: ((answer: PeerAnswer) => void) | undefined;
}

/**
 * Asks peers for their snapshots over their sockets, one connection kept open per peer.
 * A socket nobody listens on any more (the worker exited) refuses at once, and an open
 * connection closes when its worker dies: `gone`. A stopped or hung worker accepts (the
 * kernel queues the connection) and never answers: `missing` once `timeoutMs` ran out,
 * and the connection is dropped, so a late answer is never taken for the next one. A
 * second request while one is in flight (two scrapes at once) goes over a connection of
 * its own. Never rejects; no connection or timer holds the process.
 */
export class PeerConnections {
  private readonly links = new Map<string, Link>();

  ask(path: string, timeoutMs: number): Promise<PeerAnswer> {
    let link = this.links.get(path);
    if (link === undefined || link.socket.destroyed) {
      link = this.open(path, true);
    } else if (link.pending !== undefined) {
      link = this.open(path, false);
    }
    const current = link;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        current.pending = undefined;
        this.drop(path, current);
        resolve({ state: 'missing' });
      }, timeoutMs);
      timer.unref();
      const settle = (answer: PeerAnswer): void => {
        clearTimeout(timer);
        resolve(answer);
      };
      current.pending = settle;
      current.socket.write('\n');
    });
  }

  close(): void {
    for (const [path, link] of this.links) this.drop(path, link);
  }

  private open(path: string, keep: boolean): Link {
    const socket = connect(path);
    socket.unref();
    socket.setEncoding('utf8');
    const link: Link = { socket, buffer: '', pending: undefined };
    if (keep) this.links.set(path, link);
    const finish = (answer: PeerAnswer): void => {
      const pending = link.pending;
      link.pending = undefined;
      pending?.(answer);
    };
    socket.on('data', (chunk: string) => {
      link.buffer += chunk;
      const end = link.buffer.indexOf('\n');
      if (end < 0) return;
      const snapshot = parseSnapshot(link.buffer.slice(0, end));
      link.buffer = link.buffer.slice(end + 1);
      finish(snapshot === undefined ? { state: 'missing' } : { state: 'answered', snapshot });
      if (!keep) socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.drop(path, link);
      finish(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? { state: 'gone' } : { state: 'missing' });
    });
    // A connection that ends while waiting: its worker exited (or closed it after a fault).
    socket.on('close', () => {
      this.drop(path, link);
      finish({ state: 'gone' });
    });
    return link;
  }

  private drop(path: string, link: Link): void {
    if (this.links.get(path) === link) this.links.delete(path);
    link.socket.destroy();
  }
}
