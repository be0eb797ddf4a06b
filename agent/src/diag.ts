/**
 * The agent's own one-line-per-problem logger. Lines are pino-shaped JSON (numeric
 * level, time, pid, hostname, service, msg) on the diagnostics stream (stderr by
 * default; `TWINKLE_DIAGNOSTICS`). OpenTelemetry's `diag` is bridged in, with repeated
 * messages (an exporter failing every batch) written once.
 */
import { hostname } from 'node:os';
import type { AgentConfig, LogLevelName } from './config.js';
import { lineSink, type LineSink } from './output/line-sink.js';

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

/**
 * Creates the agent's logger for a configuration. Its lines go to the diagnostics stream
 * (`TWINKLE_DIAGNOSTICS`: stderr unless set otherwise, so a host's stdout stays its own),
 * written at once. A stream the agent writes to that fails (a closed pipe, a full disk)
 * is said once: on the diagnostics stream, or, when that is the one that failed, on the
 * log destination if the agent already writes lines there.
 */
export function createDiag(config: Pick<AgentConfig, 'logLevel' | 'diagnostics' | 'logDestination' | 'serviceName'>): AgentDiag {
  const threshold = LEVELS[config.logLevel];
  const sink = config.diagnostics === 'off' ? undefined : lineSink(config.diagnostics);
  const logSink = lineSink(config.logDestination);
  const prefix = `"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"service":${JSON.stringify(
    config.serviceName,
  )},"name":"${LOGGER_NAME}"`;
  const seen = new Set<string>();
  let listener: ((line: string) => void) | undefined;

  const format = (level: number, msg: string): string => `{"level":${level},"time":${Date.now()},${prefix},"msg":${JSON.stringify(msg)}}\n`;
  const write = (level: number, msg: string, to: LineSink | undefined = sink): void => {
    if (level < threshold) return;
    const line = format(level, msg);
    to?.writeNow(line);
    try {
      listener?.(line);
    } catch {
      // the listener (OTLP logs) must not fail the caller
    }
  };
  for (const failing of new Set([sink, logSink])) {
    failing?.onFailure((reason) => {
      const other = failing === sink ? (logSink !== sink && logSink.used ? logSink : undefined) : sink;
      write(LEVELS.warn, reason, other);
    });
  }

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
