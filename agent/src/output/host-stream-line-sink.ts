import type { LineSink, StreamName } from './line-sink.js';

/** Lines leave after this long, or when this many bytes wait (as the descriptor sink). */
const FLUSH_INTERVAL_MS = 100;
const CHUNK = 4096;
const MAX_WAITING = 1024 * 1024;
/** How long lines wait for pm2 to take the stream over before they are written anyway. */
const TAKEOVER_WAIT_MS = 2000;

/**
 * A sink that writes through the host's `process.stdout.write` / `process.stderr.write`,
 * looked up at each write, for a process whose supervisor takes its lines there: pm2 in
 * cluster mode replaces both functions (lib/ProcessContainer.js) to send the lines to its
 * daemon and the app's log files, while descriptors 1 and 2 stay the daemon's own. pm2
 * does so a little after the agent started (once its log files are open), so lines wait
 * until the function changed, at most TAKEOVER_WAIT_MS. A write that throws ends writing
 * here for good, said once, as the descriptor sink does.
 */
export class HostStreamLineSink implements LineSink {
  used = false;
  failed = false;
  private waiting = '';
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private readonly listeners: Array<(reason: string) => void> = [];
  private readonly original: unknown;
  private readonly since = Date.now();
  private exitHooked = false;

  constructor(readonly name: StreamName) {
    this.original = process[name].write;
  }

  write(line: string): void {
    if (this.failed) return;
    if (this.waiting.length + line.length > MAX_WAITING) {
      if (this.dropped++ === 0) this.tell(`${this.name} takes no more lines; lines are dropped while it is full`);
      return;
    }
    this.waiting += line;
    if (this.waiting.length >= CHUNK) this.flush();
    else this.schedule();
    if (!this.exitHooked) {
      this.exitHooked = true;
      process.once('exit', () => this.writeWaiting());
    }
  }

  writeNow(line: string): void {
    this.write(line);
    this.flush();
  }

  flush(done?: (err?: Error) => void): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (process[this.name].write === this.original && Date.now() - this.since < TAKEOVER_WAIT_MS) this.schedule();
    else this.writeWaiting();
    done?.();
  }

  onFailure(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiting.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  private writeWaiting(): void {
    if (this.failed || this.waiting.length === 0) return;
    const data = this.waiting;
    this.waiting = '';
    try {
      process[this.name].write(data);
      this.used = true;
    } catch (err) {
      this.failed = true;
      this.tell(`writing to ${this.name} failed (${err instanceof Error ? err.message : String(err)}); the agent writes nothing more there`);
    }
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
