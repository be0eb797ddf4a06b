import type { Logger } from 'pino';
import type { SentryReporter } from './sentry.js';

/** Where the preloaded agent leaves the logger `@twinkle/agent/api` hands to services (any installed copy finds it). */
const LOGGER = Symbol.for('twinkle.agent.logger');

/** Where the agent leaves its Sentry reporter, when SENTRY_DSN is set. */
const SENTRY = Symbol.for('twinkle.agent.sentry');

type Globals = { [LOGGER]?: Logger; [SENTRY]?: SentryReporter };

/** Publishes the agent's logger for the API. */
export function publishLogger(logger: Logger): void {
  (globalThis as Globals)[LOGGER] = logger;
}

/** The preloaded agent's logger, if an agent started. */
export function publishedLogger(): Logger | undefined {
  return (globalThis as Globals)[LOGGER];
}

/** Publishes the Sentry reporter for `captureError`. */
export function publishSentry(reporter: SentryReporter): void {
  (globalThis as Globals)[SENTRY] = reporter;
}

/** The preloaded agent's Sentry reporter, if Sentry is on. */
export function publishedSentry(): SentryReporter | undefined {
  return (globalThis as Globals)[SENTRY];
}
