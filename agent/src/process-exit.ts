/**
 * What the agent does when the process ends, for every signal set up (signals/):
 *
 * - SIGTERM and SIGINT: write the log lines that wait, flush within `signalTimeoutMs`,
 *   then let the process end as it would have without the agent: if no other listener handles the signal, the agent
 *   raises it again (Node's default action: exit by the signal, 143 for SIGTERM); if the
 *   app has its own handler, the agent only flushes. Any listener removes Node's default
 *   exit (opentelemetry-js#1521), hence the re-raise. Where the agent re-raises, the same
 *   signal again while it flushes writes the lines that wait and nothing more: the flush
 *   keeps its bound (a supervisor and its process group often both signal).
 * - A natural end (`beforeExit`: a job, a script, a migration): settlements still open
 *   are ended as pending, then every signal that took something in since it last sent is
 *   flushed within `exitTimeoutMs` (a timer of the agent holds the process that long at
 *   most; the exports themselves never hold it; a failed export is not retried), and
 *   Node exits with the code it had.
 *   Node emits `beforeExit` again once the flush is done; the agent flushes again only
 *   if something new came in, at most `MAX_EXIT_ROUNDS` times.
 * - `process.exit()` by the app: nothing asynchronous can run. Log lines already
 *   written by the agent reach stdout (output/line-sink.ts writes them synchronously);
 *   spans, log records, metrics and events not yet sent are lost, as with OpenTelemetry's
 *   SDK and dd-trace.
 */
import { endOpenSettlements } from './agent-globals.js';
import type { AgentDiag } from './diag.js';
import { stopRetrying } from './export/otlp-http-transport.js';
import { flushLineSinks } from './output/line-sink.js';
import type { SignalSetup } from './signals/signal-setup.js';

/** How long the agent may hold a process ended by SIGTERM or SIGINT to send what it has. */
export const SIGNAL_FLUSH_MS = 5000;

/** A natural exit flushes at most this many times (each when something new came in). */
const MAX_EXIT_ROUNDS = 3;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Flushes every setup, each within the time left; never rejects. */
function flushAll(setups: readonly SignalSetup[], timeoutMs: number): Promise<unknown> {
  return Promise.allSettled(setups.map((s) => s.flush(timeoutMs)));
}

/** Installs the handlers; returns the uninstaller. */
export function installExitHandlers(
  setups: readonly SignalSetup[],
  diag: AgentDiag,
  options: { readonly signalTimeoutMs: number; readonly exitTimeoutMs: number },
): () => void {
  const handlers = new Map<string, () => void>();
  for (const signal of SIGNALS) {
    let signalled = false;
    const handler = (): void => {
      flushLineSinks();
      // A repeat while the flush runs (a supervisor and its process group both signal, npm
      // passes on the terminal's SIGINT) leaves it to finish within its bound. The listener
      // stays until then: without one, a repeat would take Node's default action at once,
      // before the flush, or even before the lines above were written.
      if (signalled) return;
      signalled = true;
      const appHandlesIt = process.listenerCount(signal) > 1;
      // The app's own handler decides what this and any later signal does, as without the agent.
      if (appHandlesIt) process.removeListener(signal, handler);
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        // Lines that wait in the sinks are written before the signal ends the process ('exit' does not run then).
        flushLineSinks();
        if (appHandlesIt) return;
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      };
      const timer = setTimeout(() => {
        diag.warn(`shutdown: flushing telemetry took longer than ${options.signalTimeoutMs} ms; what was not sent is dropped`);
        finish();
      }, options.signalTimeoutMs);
      // The timer must not keep an app that is otherwise done alive.
      if (appHandlesIt) timer.unref();
      // Requests that finished while the first flush ran go in a second one.
      flushAll(setups, options.signalTimeoutMs - 500)
        .then(() => flushAll(setups, 500))
        .then(finish, finish);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }

  const flushedAt = new Map<SignalSetup, number>();
  let rounds = 0;
  let flushing = false;
  const onBeforeExit = (): void => {
    if (flushing || rounds >= MAX_EXIT_ROUNDS) return;
    try {
      const open = endOpenSettlements();
      if (open > 0) diag.warn(`${open} settlement(s) had not ended when the process ran out of work; recorded as pending`);
    } catch {
      // ending them is best effort
    }
    const due = setups.filter((s) => s.activity() !== (flushedAt.get(s) ?? 0));
    if (due.length === 0) return;
    rounds++;
    flushing = true;
    // An endpoint that refuses now will not answer before the process ends.
    stopRetrying();
    for (const s of due) flushedAt.set(s, s.activity());
    // This timer is what holds the process while the flush runs (exports hold nothing).
    const timer = setTimeout(() => {
      diag.warn(`exit: sending telemetry took longer than ${options.exitTimeoutMs} ms (TWINKLE_EXIT_FLUSH_TIMEOUT_MS); what was not sent is dropped`);
      finish();
    }, options.exitTimeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      flushing = false;
    };
    flushAll(due, options.exitTimeoutMs).then(finish, finish);
  };
  process.on('beforeExit', onBeforeExit);

  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    process.removeListener('beforeExit', onBeforeExit);
  };
}
