import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { LogLevelName } from './config.js';
import { LEVELS, type AgentDiag } from './diag.js';

/**
 * Routes OpenTelemetry's internal `diag` messages through the agent's logger: warnings
 * and errors always (each distinct message once), detail at debug. `reroute` may take a
 * message over (returning true), to report it in the agent's own words.
 */
export function bridgeOtelDiag(agentDiag: AgentDiag, level: LogLevelName, reroute?: (msg: string) => boolean): void {
  const once = (args: unknown[]): void => {
    const msg = args.map(describe).join(' ');
    if (reroute?.(msg)) return;
    // Keyed without digits: "Dropped 12 spans" and "Dropped 40 spans" are one problem.
    agentDiag.warnOnce(msg.replace(/\d+/g, '#').slice(0, 200), `opentelemetry: ${msg}`);
  };
  const logger: DiagLogger = {
    error: (...args) => once(args),
    warn: (...args) => once(args),
    info: (...args) => agentDiag.debug(`opentelemetry: ${args.map(describe).join(' ')}`),
    debug: (...args) => agentDiag.debug(`opentelemetry: ${args.map(describe).join(' ')}`),
    verbose: () => {},
  };
  const otelLevel = LEVELS[level] <= LEVELS.debug ? DiagLogLevel.DEBUG : DiagLogLevel.WARN;
  diag.setLogger(logger, { logLevel: otelLevel, suppressOverrideMessage: true });
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
