/**
 * Where the agent writes its lines: fd 1 or 2 of a process it did not write. A write
 * here never throws into the host, never blocks it and never keeps it alive:
 *
 * - Lines wait in memory and leave in one write of about 4 KB, or within 100 ms (an
 *   unref'd timer), or at `exit`; the agent's own diagnostics leave at once.
 * - A pipe or a terminal is written through a descriptor of the agent's own, opened
 *   non-blocking (`/proc/self/fd/<n>`), so a full pipe answers EAGAIN instead of
 *   blocking the host, and the host's descriptor keeps its flags. It is closed after
 *   200 ms without a write, so a host that closes its stdout (a parent waiting for EOF)
 *   is held up that long at most.
 *   A socket (a child of `child_process` with piped stdio) is made non-blocking the way
 *   Node makes it for `process.stdout`; a file is written at the host's offset.
 * - EAGAIN keeps the lines for a retry on an unref'd timer, at most `MAX_WAITING`
 *   bytes; beyond that new lines are dropped and counted. Any other failure (EPIPE,
 *   EBADF, ENOSPC, ENXIO: a reader that went away, a closed or replaced descriptor, a
 *   full disk) ends writing to this sink for good, and `onFailure` is told once.
 *
 * Why not pino's SonicBoom: its `flushSync()` retries every error in a loop with a
 * 100 ms sleep, so at exit on a broken pipe it never returns (sonic-boom 4.2.1,
 * index.js), its EAGAIN retry timer is not unref'd, and an asynchronous write on a
 * blocking pipe nobody reads keeps the event loop alive for ever.
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { HostStreamLineSink } from './host-stream-line-sink.js';

/** What a sink writes to. */
export type StreamName = 'stdout' | 'stderr';

/** A line destination that never throws, blocks or holds the process (pino's `DestinationStream`). */
export interface LineSink {
  readonly name: StreamName;
  /** Queues one line (newline included); it leaves within 100 ms or with the next 4 KB. */
  write(line: string): void;
  /** Writes one line now (with whatever waits before it). */
  writeNow(line: string): void;
  /** Writes what waits, without blocking; `done` is called after (pino's `flush(cb)`). */
  flush(done?: (err?: Error) => void): void;
  /** Whether a line has been written to the stream (the agent already uses it). */
  readonly used: boolean;
  /** Whether writing here has ended for good. */
  readonly failed: boolean;
  /** `listener(reason)` is called once, when writing here ends for good or lines are first dropped. */
  onFailure(listener: (reason: string) => void): void;
}

/** Lines leave in writes of about this many bytes... */
const CHUNK = 4096;
/** ...or after this long. */
const FLUSH_INTERVAL_MS = 100;
/** A stream that takes nothing (a full pipe) keeps at most this much waiting; later lines are dropped. */
const MAX_WAITING = 1024 * 1024;

const FD: Record<StreamName, number> = { stdout: 1, stderr: 2 };

/** What the descriptor was when the sink was made: a replaced descriptor is not written to. */
interface Identity {
  readonly dev: number;
  readonly ino: number;
  /** Written through a descriptor of the sink's own (pipes and terminals). */
  readonly reopen: boolean;
  readonly socket: boolean;
}

function identify(fd: number): Identity {
  const stat = fstatSync(fd);
  // Pipes and terminals can block a writer; files and other devices (/dev/null) cannot.
  return { dev: stat.dev, ino: stat.ino, reopen: stat.isFIFO() || (stat.isCharacterDevice() && isatty(fd)), socket: stat.isSocket() };
}

/** The agent's own descriptor of a pipe is closed once it has not been written to for this long. */
const IDLE_CLOSE_MS = 200;

class FdLineSink implements LineSink {
  private readonly fd: number;
  private identity: Identity | undefined;
  /** Lines not yet written, as text... */
  private waiting = '';
  /** ...and the bytes a partial write left, which go first. */
  private held: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private own: number | undefined;
  private ownUsedAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private dropped = 0;
  /** The last write met a full pipe: the retry timer writes next, not every new line. */
  private blocked = false;
  private listeners: Array<(reason: string) => void> = [];
  private exitHooked = false;
  used = false;
  failed = false;

  constructor(readonly name: StreamName) {
    this.fd = FD[name];
    // What the descriptor is now, at the agent's start: an app that closes it and opens
    // something else (which takes the lowest free number) must not get the agent's lines.
    try {
      this.identity = identify(this.fd);
    } catch {
      this.identity = undefined; // closed already: the first write says so
    }
  }

  write(line: string): void {
    if (this.failed) return;
    if (this.waiting.length + (this.held?.length ?? 0) + line.length > MAX_WAITING) {
      if (this.dropped++ === 0) this.tell(`${this.name} takes no more lines (nothing reads it); lines are dropped while it is full`);
      return;
    }
    this.waiting += line;
    if (this.waiting.length >= CHUNK && !this.blocked) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.onTimer, FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
    if (!this.exitHooked) {
      this.exitHooked = true;
      process.once('exit', this.onExit);
    }
  }

  writeNow(line: string): void {
    this.write(line);
    this.flush();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  private readonly onExit = (): void => {
    this.flush();
    this.closeOwn();
    const unwritten = this.waiting.length + (this.held?.length ?? 0);
    if (this.dropped > 0 || unwritten > 0) this.tell(`${this.name}: ${this.dropped} line(s) dropped and ${unwritten} byte(s) not written by exit (nothing read it)`);
  };

  flush(done?: (err?: Error) => void): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.failed && (this.waiting.length > 0 || this.held !== undefined)) this.writeWaiting();
    done?.();
  }

  onFailure(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  private writeWaiting(): void {
    let data: Buffer | string = this.waiting;
    try {
      const fd = this.target();
      if (this.held !== undefined) data = this.waiting.length > 0 ? Buffer.concat([this.held, Buffer.from(this.waiting)]) : this.held;
      const total = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      const written = typeof data === 'string' ? writeSync(fd, data) : writeSync(fd, data);
      this.waiting = '';
      this.held = undefined;
      this.used = true;
      this.blocked = false;
      if (written < total) this.holdRest(data, written);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        // Nothing was written: keep it all, and try again later.
        if (typeof data !== 'string') {
          this.held = data;
          this.waiting = '';
        }
        this.retryLater();
        return;
      }
      this.fail(`writing to ${this.name} failed (${code ?? (err instanceof Error ? err.message : String(err))})`);
    }
  }

  private holdRest(data: Buffer | string, written: number): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.held = bytes.subarray(written);
    this.retryLater();
  }

  private retryLater(): void {
    this.blocked = true;
    this.closeOwn();
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.onTimer, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** The descriptor to write to now; throws (EBADF, ENXIO ...) when the stream is gone or was replaced. */
  private target(): number {
    const now = identify(this.fd);
    const was = this.identity;
    if (was === undefined || now.dev !== was.dev || now.ino !== was.ino) {
      const err = new Error('the descriptor was closed and reused') as NodeJS.ErrnoException;
      err.code = 'EBADF';
      throw err;
    }
    if (was.socket) {
      // A socket from child_process is blocking in the child; Node's own stream for it
      // makes it non-blocking (libuv's uv_pipe_open), as the host's first write would.
      void (this.fd === 1 ? process.stdout : process.stderr);
      return this.fd;
    }
    if (!was.reopen) return this.fd;
    if (this.own === undefined) {
      try {
        this.own = openSync(`/proc/self/fd/${this.fd}`, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      } catch (err) {
        // ENXIO: a FIFO without a reader, which a write would meet as EPIPE.
        if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw Object.assign(new Error('broken pipe'), { code: 'EPIPE' });
        // Without /proc (not Linux): the host's descriptor.
        this.identity = { ...was, reopen: false };
        return this.fd;
      }
      // Closed again once idle, so a host that closes its stdout (a parent waiting for
      // EOF) is held up that long at most; while lines keep coming it stays open.
      this.idleTimer = setTimeout(this.closeIfIdle, IDLE_CLOSE_MS);
      this.idleTimer.unref();
    }
    this.ownUsedAt = Date.now();
    return this.own;
  }

  private readonly closeIfIdle = (): void => {
    this.idleTimer = undefined;
    const idle = Date.now() - this.ownUsedAt;
    if (idle >= IDLE_CLOSE_MS) this.closeOwn();
    else {
      this.idleTimer = setTimeout(this.closeIfIdle, IDLE_CLOSE_MS - idle);
      this.idleTimer.unref();
    }
  };

  private readonly closeOwn = (): void => {
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    if (this.own === undefined) return;
    try {
      closeSync(this.own);
    } catch {
      // already gone
    }
    this.own = undefined;
  };

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.waiting = '';
    this.held = undefined;
    this.closeOwn();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.tell(`${reason}; the agent writes nothing more there`);
  }

  private tell(reason: string): void {
    for (const listener of this.listeners) {
      try {
        listener(reason);
      } catch {
        // a listener must not fail the write that failed
      }
    }
  }
}

const sinks = new Map<StreamName, LineSink>();
let throughHostStreams = false;

/**
 * Makes every sink made from now on write through `process.stdout.write` and
 * `process.stderr.write` instead of descriptors 1 and 2: for pm2's cluster mode, where
 * those functions are how pm2 takes a worker's lines (host-stream-line-sink.ts).
 */
export function writeThroughHostStreams(): void {
  throughHostStreams = true;
}

/** The process's one sink for `name`, shared by everything the agent writes there, so lines keep their order. */
export function lineSink(name: StreamName): LineSink {
  let sink = sinks.get(name);
  if (sink === undefined) {
    sink = throughHostStreams ? new HostStreamLineSink(name) : new FdLineSink(name);
    sinks.set(name, sink);
  }
  return sink;
}

/** Writes what waits in every sink now (a signal is about to end the process, and `exit` does not run then). */
export function flushLineSinks(): void {
  for (const sink of sinks.values()) {
    try {
      sink.flush();
    } catch {
      // a sink never throws; this is for the one that would
    }
  }
}
