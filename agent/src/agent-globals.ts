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

/** Where the agent keeps the settlements `@twinkle/agent/api` has started and not ended, while an agent runs. */
const OPEN_SETTLEMENTS = Symbol.for('twinkle.agent.openSettlements');

/** A settlement begun and not ended: what the agent can do with it at a natural exit. */
export interface OpenSettlement {
  end(status: 'pending'): void;
}

type Globals = {
  [LOGGER]?: PublishedLogger;
  [SENTRY]?: SentryReporter;
  [SETTLEMENT_EXEMPLARS]?: SettlementExemplars;
  [OPEN_SETTLEMENTS]?: Set<OpenSettlement>;
};

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

/** Starts keeping the settlements the API begins and has not ended (for the exit flush). */
export function publishOpenSettlements(): void {
  (globalThis as Globals)[OPEN_SETTLEMENTS] ??= new Set();
}

/** Where the API keeps a settlement while it runs; undefined without a running agent. */
export function openSettlements(): Set<OpenSettlement> | undefined {
  return (globalThis as Globals)[OPEN_SETTLEMENTS];
}

/** Ends every settlement still open as pending (the process ran out of work first); returns how many. */
export function endOpenSettlements(): number {
  const open = openSettlements();
  if (open === undefined || open.size === 0) return 0;
  const ending = [...open];
  for (const settlement of ending) settlement.end('pending');
  return ending.length;
}
