import type { Server } from 'node:net';
import type { Resource } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ExemplarLookup } from '../metrics/openmetrics.js';
import { PeerConnections, type PeerAnswer } from './ask-peer.js';
import { combineSnapshots, type CombinedScrape } from './combine-snapshots.js';
import { FamilyTotals, isCumulative } from './family-totals.js';
import type { GroupDirectory, SnapshotFile } from './group-directory.js';
import { listenForPeers } from './peer-listener.js';
import { snapshotOf, type WorkerSnapshot } from './worker-snapshot.js';

/** What the worker's own reader collected, and the exemplars of its histograms. */
export interface OwnMetrics {
  readonly resourceMetrics: ResourceMetrics;
  readonly exemplars: ExemplarLookup;
}

export interface ClusterScrapeOptions {
  readonly directory: GroupDirectory;
  /** This worker's id in the group (`<pid>-<random>`). */
  readonly id: string;
  readonly collectOwn: () => Promise<OwnMetrics>;
  readonly resource: Resource;
  /** How long a scrape waits for a peer's answer. */
  readonly timeoutMs: number;
  /** Whether a process is alive (`process.kill(pid, 0)`); a refused socket of a live pid is not taken for an exit. */
  readonly isAlive: (pid: number) => boolean;
  readonly onError: (message: string) => void;
}

/** A scrape of the whole group, and what it says about the workers it covers (a comment line of the text format). */
export interface ClusterScrapeResult extends CombinedScrape {
  readonly note: string;
}

/** A worker's part in its group's scrapes. */
export interface ClusterScrape {
  /** Asks every peer, adds the group up, adopts workers that exited. Never rejects while the worker's own collection works. */
  collect(): Promise<ClusterScrapeResult>;
  close(): void;
}

/** How long an adopted worker's id stays in the adopter's `members` (for readers that saw its file before the adoption). */
const MEMBER_GRACE_MS = 5 * 60_000;
/** Listing and reading again when a file moved under the reader (an adoption ran meanwhile). */
const READ_ATTEMPTS = 3;

function pidOf(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/**
 * One worker's part in answering `/metrics` for its whole group, with no process in
 * charge: the worker a scrape reaches asks every peer over its socket (bounded by
 * `timeoutMs`), reads the snapshot files of those that did not answer, and adds them up
 * (combine-snapshots.ts). Every snapshot a worker gives is on disk before it is sent,
 * so whatever a scrape counted is still counted by the next, whichever worker answers
 * it and whoever has exited meanwhile. A worker found exited is adopted by the worker
 * that finds it: its counters and histograms join the adopter's own, which then carries
 * them in its snapshots, and its files are removed, so the directory holds one file per
 * worker alive (plus those of exits not yet noticed).
 */
export function startClusterScrape(options: ClusterScrapeOptions): ClusterScrape {
  const { directory, id, timeoutMs, isAlive } = options;
  let seq = 0;
  /** Counters and histograms of the workers this one adopted. */
  const adopted = new FamilyTotals();
  let adoptedCount = 0;
  /** Ids of adopted workers, and when: they stay in `members` for MEMBER_GRACE_MS. */
  const adoptedIds = new Map<string, number>();

  /** Who this worker's snapshots hold now: itself and the workers it adopted (the latter for MEMBER_GRACE_MS). */
  const membership = (): Pick<WorkerSnapshot, 'members' | 'adopted'> => {
    const now = Date.now();
    for (const [member, at] of adoptedIds) if (now - at > MEMBER_GRACE_MS) adoptedIds.delete(member);
    return { members: [id, ...adoptedIds.keys()], adopted: adoptedCount };
  };
  /** The seq of the snapshot in this worker's file, and the newest of its own counts taken. */
  let written = 0;
  let newestOwn: WorkerSnapshot | undefined;

  /**
   * This worker's snapshot now: its own counts plus the adopted ones, with the members
   * that hold them, both read at once so no reader counts an adopted worker twice. Its
   * seq is taken before the collection, whose counts are read at its start, so two
   * collections at once (a scrape and a peer's question) are ordered by seq as by count;
   * the file only ever moves to a higher seq, so it never holds less than any answer gave.
   */
  const takeOwn = async (): Promise<{ snapshot: WorkerSnapshot; raw: WorkerSnapshot; text: string }> => {
    const taken = ++seq;
    const own = await options.collectOwn();
    const raw = snapshotOf(own.resourceMetrics, own.exemplars, { id, pid: process.pid, seq: taken, members: [id], adopted: 0 });
    if (newestOwn === undefined || raw.seq > newestOwn.seq) newestOwn = raw;
    const snapshot = withAdopted({ ...raw, ...membership() });
    const text = JSON.stringify(snapshot);
    if (snapshot.seq > written) {
      directory.writeOwn(id, text);
      written = snapshot.seq;
    }
    return { snapshot, raw, text };
  };

  const withAdopted = (snapshot: WorkerSnapshot): WorkerSnapshot => {
    if (adoptedCount === 0) return snapshot;
    const totals = new FamilyTotals();
    for (const family of snapshot.families) totals.add(family);
    for (const family of adopted.toFamilies()) totals.add(family);
    return { ...snapshot, families: totals.toFamilies() };
  };

  // A group none of whose workers is alive any more was restarted whole (its primary, or
  // every worker at once): it starts from zero, as Prometheus expects of a restarted target.
  const before = directory.list();
  const others = new Set([...before.sockets, ...before.files.flatMap((f) => (f.by === undefined ? [f.id] : [f.id, f.by]))]);
  others.delete(id);
  if (![...others].some((other) => isAlive(pidOf(other)))) for (const other of others) directory.forget(other);

  const peerConnections = new PeerConnections();
  const server: Server = listenForPeers(
    directory.socketPath(id),
    async () => (await takeOwn()).text,
    (err) => options.onError(`cluster: cannot listen for the other workers (${err.message}); scrapes reaching them leave this worker out`),
  );

  const adopt = (file: SnapshotFile): boolean => {
    const snapshot = directory.claim(file, id);
    if (snapshot === undefined) return false;
    for (const family of snapshot.families) if (isCumulative(family.kind)) adopted.add(family);
    adoptedCount += 1 + snapshot.adopted;
    const now = Date.now();
    for (const member of snapshot.members) adoptedIds.set(member, now);
    return true;
  };

  return {
    async collect() {
      // The peers are asked first and collect while this worker does: one scrape costs
      // the group no more wake-ups than it must, and waits for the slower worker only.
      const listing = directory.list();
      const peers = listing.sockets.filter((peer) => peer !== id);
      const answers = new Map<string, PeerAnswer>();
      const asked = Promise.all(peers.map(async (peer) => answers.set(peer, await peerConnections.ask(directory.socketPath(peer), timeoutMs))));
      const { snapshot: ownAtStart, raw } = await takeOwn();
      await asked;

      const newest = new Map<string, WorkerSnapshot>([[id, ownAtStart]]);
      const offer = (s: WorkerSnapshot): void => {
        const held = newest.get(s.id);
        if (held === undefined || s.seq > held.seq) newest.set(s.id, s);
      };
      for (const answer of answers.values()) if (answer.state === 'answered') offer(answer.snapshot);
      // Files of the workers that did not answer (exited, stuck). When one moved under the
      // reader (an adoption ran meanwhile), every file is read again, the answered peers'
      // too: the adopter's file, written before the adopted one's went, is newer than its answer.
      let files: readonly SnapshotFile[] = listing.files;
      let moved = false;
      for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        if (attempt > 0) files = directory.list().files;
        moved = false;
        for (const file of files) {
          if (file.id === id && file.by === undefined) continue;
          if (attempt === 0 && file.by === undefined && answers.get(file.id)?.state === 'answered') continue;
          const read = directory.read(file);
          if (read === 'gone') moved = true;
          else if (read !== undefined) offer(read);
        }
        if (!moved) break;
      }

      // This worker's own snapshot with what it holds now: a collection running beside this one
      // (a second scrape, as two Prometheus replicas make) may have adopted a worker while this
      // one waited for its own counts, and that worker's file is gone by now.
      if (ownAtStart.adopted !== adoptedCount) newest.set(id, withAdopted({ ...raw, ...membership() }));
      // A snapshot held inside another's (adopted) is counted there only.
      const inside = new Set<string>();
      for (const s of newest.values()) for (const member of s.members.slice(1)) inside.add(member);
      const liveState = (worker: string): 'answered' | 'missing' | 'gone' => {
        if (worker === id) return 'answered';
        const answer = answers.get(worker);
        if (answer === undefined) return isAlive(pidOf(worker)) ? 'missing' : 'gone';
        if (answer.state === 'gone' && isAlive(pidOf(worker))) return 'missing';
        return answer.state;
      };
      const answered: WorkerSnapshot[] = [];
      const missing: WorkerSnapshot[] = [];
      const exited: WorkerSnapshot[] = [];
      for (const s of newest.values()) {
        if (inside.has(s.id)) continue;
        const state = liveState(s.id);
        (state === 'answered' ? answered : state === 'missing' ? missing : exited).push(s);
      }
      const missingPids = peers.filter((peer) => liveState(peer) === 'missing' && !newest.has(peer)).map(pidOf);
      let exitedCount = exited.length;
      for (const s of newest.values()) if (!inside.has(s.id)) exitedCount += s.adopted;

      const result = combineSnapshots({ answered, missing, missingPids, exited, exitedCount }, options.resource);

      // Adopt what exited: its own file, or one an adopter that exited too had claimed.
      const took: SnapshotFile[] = [];
      for (const s of exited) {
        const file = files.find((f) => f.id === s.id && (f.by === undefined || liveState(f.by) === 'gone'));
        if (file !== undefined && adopt(file)) took.push(file);
      }
      if (took.length > 0 && newestOwn !== undefined) {
        // The adopted counts are in this worker's file before the claimed files go.
        const snapshot = withAdopted({ ...newestOwn, seq: ++seq, ...membership() });
        directory.writeOwn(id, JSON.stringify(snapshot));
        written = snapshot.seq;
        for (const file of took) directory.release(file.id, id);
      }
      return { ...result, note: describe(answered, missing, missingPids, exitedCount, timeoutMs) };
    },
    close() {
      peerConnections.close();
      server.close();
      directory.removeSocket(id);
    },
  };
}

function describe(answered: WorkerSnapshot[], missing: WorkerSnapshot[], missingPids: number[], exited: number, timeoutMs: number): string {
  const pids = (list: WorkerSnapshot[]) => list.map((s) => s.pid).join(', ');
  let note = `answered by pid ${process.pid}; this scrape covers ${answered.length} worker(s) of the group that answered (pid ${pids(answered)})`;
  const absent = [...missing.map((s) => s.pid), ...missingPids];
  if (absent.length > 0)
    note += `; left out: pid ${absent.join(', ')} (no answer within ${timeoutMs} ms: counters and buckets as of its last answer, no gauges)`;
  if (exited > 0) note += `; ${exited} exited worker(s), counters and buckets as of their last answer`;
  return note;
}
