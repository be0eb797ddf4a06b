import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot, type WorkerSnapshot } from './worker-snapshot.js';

/** A snapshot file of a worker, and who adopted it (a claimed file) if anyone. */
export interface SnapshotFile {
  readonly id: string;
  readonly by: string | undefined;
}

/** What the directory holds now. */
export interface GroupListing {
  /** Ids of workers with a socket (live, stuck, or exited without cleaning up). */
  readonly sockets: readonly string[];
  readonly files: readonly SnapshotFile[];
}

/** How old the directory's mtime must be for a listing to be kept: above any file system's timestamp tick (2 s on FAT). */
const SETTLED_MS = 5000;

/** Reads of a file met mid-write before it counts as unreadable. */
const READ_ATTEMPTS = 5;

const SOCKET = /^w-([0-9a-z-]+)\.sock$/;
const OWN_FILE = /^w-([0-9a-z-]+)\.json$/;
const CLAIMED_FILE = /^a-([0-9a-z-]+)\.by-([0-9a-z-]+)\.json$/;

/**
 * The directory a group of workers shares: one socket per worker (`w-<id>.sock`, where
 * peers ask it for its counts), one file per worker with the snapshot it last gave
 * (`w-<id>.json`, written before it answers, so any count a scrape has shown is on disk
 * and outlives the process), and snapshots of exited workers that a live one is adopting
 * (`a-<id>.by-<adopter>.json`: renamed there first, so two adopters never both take one).
 *
 * A worker writes its file in place, one `pwrite` at offset 0 of a descriptor it keeps
 * open: a snapshot is one JSON line, and whatever follows the first newline (the tail of a
 * longer snapshot before it) is not read. A write to a temporary file renamed over the
 * last one cost ~0.26 ms a scrape here, most of a scrape's cost (rename on this disk); a
 * single write cannot be half done by a killed process, and a reader that meets one in
 * progress (a line that does not parse) reads again.
 */
export class GroupDirectory {
  private ownFd: number | undefined;
  private ownId: string | undefined;
  private cached: { readonly listing: GroupListing; readonly mtimeMs: number; readonly ino: number } | undefined;

  constructor(readonly path: string) {}

  /** Creates the directory (private to the user); false when it cannot be used. */
  prepare(): boolean {
    try {
      mkdirSync(this.path, { recursive: true, mode: 0o700 });
      return isPrivate(this.path) && isPrivate(join(this.path, '..'));
    } catch {
      return false;
    }
  }

  socketPath(id: string): string {
    return join(this.path, `w-${id}.sock`);
  }

  /**
   * What the directory holds. A listing is read again only when the directory changed (its
   * mtime, which every socket, file, rename and removal in it moves; a file written in place
   * does not): one `stat` in place of a `readdir` a scrape. A listing taken while the
   * directory's mtime was recent is not kept, since a second change within the same tick of
   * the file system's clock would leave the mtime as it was (as git treats "racily clean" files).
   */
  list(): GroupListing {
    let stat: Stats;
    try {
      stat = statSync(this.path);
    } catch {
      this.cached = undefined;
      return { sockets: [], files: [] };
    }
    const held = this.cached;
    if (held !== undefined && held.mtimeMs === stat.mtimeMs && held.ino === stat.ino) return held.listing;
    const listing = this.readListing();
    this.cached = Date.now() - stat.mtimeMs > SETTLED_MS ? { listing, mtimeMs: stat.mtimeMs, ino: stat.ino } : undefined;
    return listing;
  }

  private readListing(): GroupListing {
    const sockets: string[] = [];
    const files: SnapshotFile[] = [];
    let names: string[];
    try {
      names = readdirSync(this.path);
    } catch {
      return { sockets, files };
    }
    for (const name of names) {
      let m = SOCKET.exec(name);
      if (m) {
        sockets.push(m[1]);
        continue;
      }
      m = OWN_FILE.exec(name);
      if (m) {
        files.push({ id: m[1], by: undefined });
        continue;
      }
      m = CLAIMED_FILE.exec(name);
      if (m) files.push({ id: m[1], by: m[2] });
    }
    return { sockets, files };
  }

  /** Writes this worker's snapshot (`text`, its JSON) into its own file, in place. */
  writeOwn(id: string, text: string): void {
    if (this.ownFd === undefined || this.ownId !== id) {
      this.ownFd = openSync(this.filePath({ id, by: undefined }), constants.O_WRONLY | constants.O_CREAT, 0o600);
      this.ownId = id;
    }
    writeSync(this.ownFd, `${text}\n`, 0);
  }

  /** Reads a snapshot file: 'gone' when it was renamed or removed since it was listed, undefined when unreadable. */
  read(file: SnapshotFile): WorkerSnapshot | 'gone' | undefined {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      let text: string;
      try {
        text = readFileSync(this.filePath(file), 'utf8');
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
      }
      const end = text.indexOf('\n');
      const snapshot = end < 0 ? undefined : parseSnapshot(text.slice(0, end));
      if (snapshot !== undefined) return snapshot.id === file.id ? snapshot : undefined;
      // A write in progress, or a file created but not written yet: read again.
    }
    return undefined;
  }

  /** Takes `file` for adopter `by` (atomically: one adopter wins); the snapshot, or undefined when another took it first. */
  claim(file: SnapshotFile, by: string): WorkerSnapshot | undefined {
    const claimed: SnapshotFile = { id: file.id, by };
    try {
      renameSync(this.filePath(file), this.filePath(claimed));
    } catch {
      return undefined;
    }
    const snapshot = this.read(claimed);
    return snapshot === 'gone' ? undefined : snapshot;
  }

  /** Removes what is left of an adopted worker: its claimed file and its socket. */
  release(id: string, by: string): void {
    this.remove(this.filePath({ id, by }));
    this.remove(this.socketPath(id));
  }

  /** Removes everything of a worker that is gone (a group started afresh). */
  forget(id: string): void {
    this.remove(this.socketPath(id));
    this.remove(this.filePath({ id, by: undefined }));
    for (const file of this.list().files) if (file.id === id) this.remove(this.filePath(file));
  }

  /** Removes the worker's own socket and nothing else (its snapshot stays for adoption). */
  removeSocket(id: string): void {
    this.remove(this.socketPath(id));
    if (this.ownFd !== undefined) {
      try {
        closeSync(this.ownFd);
      } catch {
        // closed already
      }
      this.ownFd = undefined;
    }
  }

  private filePath(file: SnapshotFile): string {
    return join(this.path, file.by === undefined ? `w-${file.id}.json` : `a-${file.id}.by-${file.by}.json`);
  }

  private remove(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

/** Owned by this user (or root) and writable by nobody else: what is read from it is counted as ours. */
function isPrivate(path: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  const stat = statSync(path);
  return (stat.uid === uid || stat.uid === 0) && (stat.mode & 0o022) === 0;
}

/** Removes the directories of groups whose primary is gone (`<ppid>-<hash>` under `root`), so they do not pile up. */
export function removeDeadGroups(root: string, isAlive: (pid: number) => boolean): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    try {
      rmSync(join(root, name), { recursive: true, force: true });
    } catch {
      // another worker removed it, or it is not ours
    }
  }
}
