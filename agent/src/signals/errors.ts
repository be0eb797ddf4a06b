/** Errors: Sentry on the agent's OpenTelemetry setup, when `SENTRY_DSN` is set. */
import { publishSentry } from '../agent-globals.js';
import type { AgentConfig } from '../config.js';
import type { AgentDiag } from '../diag.js';
import { startSentry, type SentryReporter } from '../sentry.js';
import type { SignalSetup } from './signal-setup.js';

/** The running error reporting. */
export interface ErrorsSetup extends SignalSetup {
  readonly reporter: SentryReporter;
}

/**
 * Starts Sentry, or returns undefined without a DSN. Sentry is a subsystem of its own:
 * if it cannot start, it says so and the other signals run.
 */
export function startErrors(config: AgentConfig, diag: AgentDiag): ErrorsSetup | undefined {
  let reporter: SentryReporter | undefined;
  try {
    reporter = startSentry(config, diag);
  } catch (err) {
    diag.error(`sentry disabled: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (reporter === undefined) return undefined;
  publishSentry(reporter);
  const sentry = reporter;
  return {
    reporter: sentry,
    sends: true,
    activity: () => sentry.captured(),
    flush: async (timeoutMs) => {
      await sentry.flush(timeoutMs).catch(() => false);
    },
    shutdown: async (timeoutMs) => {
      await sentry.flush(timeoutMs).catch(() => false);
    },
  };
}
