import type { AgentDiag } from './diag.js';

/** How long the agent may hold a terminating process to send what it has. */
export const SHUTDOWN_FLUSH_MS = 5000;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM and SIGINT, flushes within `timeoutMs`, then lets the process end as it
 * would have without the agent: if no other listener handles the signal, the agent
 * raises it again (Node's default action: exit by the signal, 143 for SIGTERM); if the
 * app has its own handler, the agent only flushes. Any listener removes Node's default
 * exit (opentelemetry-js#1521), hence `once` and the re-raise. Returns the uninstaller.
 */
export function installShutdownHandlers(flush: () => Promise<unknown>, diag: AgentDiag, timeoutMs = SHUTDOWN_FLUSH_MS): () => void {
  const handlers = new Map<string, () => void>();
  for (const signal of SIGNALS) {
    const handler = (): void => {
      const appHandlesIt = process.listenerCount(signal) > 0;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!appHandlesIt) process.kill(process.pid, signal);
      };
      const timer = setTimeout(() => {
        diag.warn(`shutdown: flushing telemetry took longer than ${timeoutMs} ms; what was not sent is dropped`);
        finish();
      }, timeoutMs);
      // The timer must not keep an app that is otherwise done alive.
      if (appHandlesIt) timer.unref();
      flush().then(finish, finish);
    };
    handlers.set(signal, handler);
    process.once(signal, handler);
  }
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}
