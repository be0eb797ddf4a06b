/**
 * The agent's own one-line-per-problem logger. Lines are pino-shaped JSON (numeric
 * level, time, pid, hostname, service, msg) on the log destination, so they sit in
 * the same stream as the service's logs. OpenTelemetry's `diag` is bridged in, with
 * repeated messages (an exporter failing every batch) written once.
 */
import { hostname } from 'node:os';
import type { AgentConfig, LogLevelName } from './config.js';

/** pino's numeric levels. */
export const LEVELS: Record<LogLevelName, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/** Name on every line the agent writes about itself. */
const LOGGER_NAME = '@twinkle/agent';

/** The agent's logger. */
export interface AgentDiag {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** Writes `msg` at warn the first time `key` is seen, and never again. */
  warnOnce(key: string, msg: string): void;
  /** Hands every line written from now on to `listener` too (OTLP logs); it must not throw. */
  pipe(listener: (line: string) => void): void;
}

/** Creates the agent's logger for a configuration. */
export function createDiag(config: Pick<AgentConfig, 'logLevel' | 'logDestination' | 'serviceName'>): AgentDiag {
  const threshold = LEVELS[config.logLevel];
  const stream = config.logDestination === 'stderr' ? process.stderr : process.stdout;
  const prefix = `{"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"service":${JSON.stringify(
    config.serviceName,
  )},"name":"${LOGGER_NAME}"`;
  const seen = new Set<string>();
  let broken = false;
  let listener: ((line: string) => void) | undefined;

  const write = (level: number, msg: string): void => {
    if (level < threshold || broken) return;
    const line = `{"level":${level},"time":${Date.now()},${prefix.slice(1)},"msg":${JSON.stringify(msg)}}\n`;
    try {
      stream.write(line);
    } catch {
      // A closed stdout (EPIPE) must not take the host down: stop writing.
      broken = true;
    }
    listener?.(line);
  };

  return {
    debug: (msg) => write(LEVELS.debug, msg),
    info: (msg) => write(LEVELS.info, msg),
    warn: (msg) => write(LEVELS.warn, msg),
    error: (msg) => write(LEVELS.error, msg),
    warnOnce(key, msg) {
      if (seen.has(key)) return;
      seen.add(key);
      write(LEVELS.warn, msg);
    },
    pipe(l) {
      listener = l;
    },
  };
}
