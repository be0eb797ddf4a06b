import type { Logger } from 'pino';

/** Where the preloaded agent leaves the logger `@twinkle/agent/api` hands to services (any installed copy finds it). */
const LOGGER = Symbol.for('twinkle.agent.logger');

type Globals = { [LOGGER]?: Logger };

/** Publishes the agent's logger for the API. */
export function publishLogger(logger: Logger): void {
  (globalThis as Globals)[LOGGER] = logger;
}

/** The preloaded agent's logger, if an agent started. */
export function publishedLogger(): Logger | undefined {
  return (globalThis as Globals)[LOGGER];
}
