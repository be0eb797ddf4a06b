import type { Logger } from 'pino';
import type { SettlementExemplars } from './metrics/settlement-exemplars.js';
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

/** Where the agent leaves the exemplar slots of the settlement histogram, when exemplars are on. */
const SETTLEMENT_EXEMPLARS = Symbol.for('twinkle.agent.settlementExemplars');

type Globals = { [LOGGER]?: PublishedLogger; [SENTRY]?: SentryReporter; [SETTLEMENT_EXEMPLARS]?: SettlementExemplars };

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

/** Publishes the settlement histogram's exemplar slots for `@twinkle/agent/api`. */
export function publishSettlementExemplars(exemplars: SettlementExemplars): void {
  (globalThis as Globals)[SETTLEMENT_EXEMPLARS] = exemplars;
}

/** The preloaded agent's settlement exemplar slots, if exemplars are on. */
export function publishedSettlementExemplars(): SettlementExemplars | undefined {
  return (globalThis as Globals)[SETTLEMENT_EXEMPLARS];
}
