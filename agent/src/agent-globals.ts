import type { Logger } from 'pino';
import type { SentryReporter } from './sentry.js';

/** Where the preloaded agent leaves the logger `@twinkle/agent/api` hands to services (any installed copy finds it). */
const LOGGER = Symbol.for('twinkle.agent.logger');

/** Where the agent leaves its Sentry reporter, when SENTRY_DSN is set. */
const SENTRY = Symbol.for('twinkle.agent.sentry');

/** The published logger, and whether the API has handed it out. */
interface PublishedLogger {
  readonly logger: Logger;
  taken: boolean;
}

type Globals = { [LOGGER]?: PublishedLogger; [SENTRY]?: SentryReporter };

/**
 * Publishes the agent's logger for the API. Returns a function that tells whether a
 * service has taken it (its lines then carry the request id, so requests need a context).
 */
export function publishLogger(logger: Logger): () => boolean {
  const published: PublishedLogger = { logger, taken: false };
  (globalThis as Globals)[LOGGER] = published;
  return () => published.taken;
}

/** The preloaded agent's logger, if an agent started; marks it as taken. */
export function publishedLogger(): Logger | undefined {
  const published = (globalThis as Globals)[LOGGER];
  if (published === undefined) return undefined;
  published.taken = true;
  return published.logger;
}

/** Publishes the Sentry reporter for `captureError`. */
export function publishSentry(reporter: SentryReporter): void {
  (globalThis as Globals)[SENTRY] = reporter;
}

/** The preloaded agent's Sentry reporter, if Sentry is on. */
export function publishedSentry(): SentryReporter | undefined {
  return (globalThis as Globals)[SENTRY];
}
