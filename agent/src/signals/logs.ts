/**
 * Logs: the loggers the agent hands out (the service logger of `@twinkle/agent/api`, the
 * access log) on the log destination, and, with `OTEL_LOGS_EXPORTER=otlp`, every pino
 * line of the process (the agent's own included) as an OTLP log record too.
 */
import { logs } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { publishLogger } from '../agent-globals.js';
import type { AgentConfig } from '../config.js';
import type { AgentDiag } from '../diag.js';
import { createLoggers, type AgentLoggers } from '../logging.js';
import type { LogExport } from '../logs/log-export.js';
import { withoutCredentials } from '../scrub.js';
import type { SignalSetup, UndoSteps } from './signal-setup.js';

/** Whether pino lines also go over OTLP. */
export function isSendingLogs(config: Pick<AgentConfig, 'logsExporter'>): boolean {
  return config.logsExporter === 'otlp';
}

/** The running logs. */
export interface LogsSetup extends SignalSetup {
  readonly loggers: AgentLoggers;
  /** Whether a service took the logger (its lines then carry the request id, so requests need a context). */
  readonly loggerTaken: () => boolean;
}

/** Starts the loggers, and the log export when chosen (the logs SDK loads only then). */
export function startLogs(config: AgentConfig, resource: Resource, diag: AgentDiag, undo: UndoSteps): LogsSetup {
  let logExport: LogExport | undefined;
  if (isSendingLogs(config)) {
    logExport = (require('../logs/log-export.js') as typeof import('../logs/log-export.js')).startLogExport(config, resource, (reason) =>
      diag.warnOnce(
        'log export',
        `log export to ${withoutCredentials(config.logsUrl)} failed: ${reason}; log records are dropped while it fails (lines are still written; not logged again)`,
      ),
    );
    undo.push(() => logs.disable());
    diag.pipe(logExport.emitLine);
  }
  const loggers = createLoggers(config, logExport?.emitLine);
  return {
    loggers,
    loggerTaken: publishLogger(loggers.logger),
    sends: logExport !== undefined,
    activity: () => logExport?.emitted() ?? 0,
    flush: () => logExport?.forceFlush() ?? Promise.resolve(),
    shutdown: () => logExport?.shutdown() ?? Promise.resolve(),
  };
}
