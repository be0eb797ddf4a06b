/**
 * `OTEL_LOGS_EXPORTER=otlp`: a LoggerProvider with a bounded batch processor and the
 * OTLP/HTTP log exporter (protobuf, or JSON with `http/json`), registered as the global
 * one so instrumentation-pino sends the lines of an app's own `pino()` loggers to it, and
 * a sink for the agent's own lines. The logs SDK and exporter are not in the agent's
 * bundle (agent/scripts/bundle.mjs): they are required from node_modules here, only when
 * chosen, so the default start-up reads and compiles none of them.
 */
import { logs, type Logger } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AgentConfig } from '../config.js';
import { INSTRUMENTATION_SCOPE } from '@twinkle/semconv';
import { VERSION } from '../version.js';
import { pinoLineToLogRecord } from './pino-line-record.js';

/** At most this many records wait for export; more are dropped while the endpoint fails. */
export const LOG_QUEUE_SIZE = 2048;
/** Records per export request. */
const LOG_BATCH_SIZE = 512;
/** A batch leaves at least this often. */
const LOG_BATCH_DELAY_MS = 1000;

/** The running log export. */
export interface LogExport {
  /** Sends one pino JSON line as a log record; never throws. */
  emitLine(line: string): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** `onFailure(reason)` is called for every failed export; the caller says it once. */
export function startLogExport(
  config: Pick<AgentConfig, 'logsProtocol' | 'logsUrl'>,
  resource: Resource,
  onFailure: (reason: string) => void,
): LogExport {
  const sdk = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const { OTLPLogExporter } =
    config.logsProtocol === 'http/json'
      ? (require('@opentelemetry/exporter-logs-otlp-http') as typeof import('@opentelemetry/exporter-logs-otlp-http'))
      : (require('@opentelemetry/exporter-logs-otlp-proto') as typeof import('@opentelemetry/exporter-logs-otlp-proto'));
  const exporter = reportingFailures(new OTLPLogExporter({ url: config.logsUrl }), onFailure);
  const provider = new sdk.LoggerProvider({
    resource,
    processors: [
      new sdk.BatchLogRecordProcessor({
        exporter,
        maxQueueSize: LOG_QUEUE_SIZE,
        maxExportBatchSize: LOG_BATCH_SIZE,
        scheduledDelayMillis: LOG_BATCH_DELAY_MS,
      }),
    ],
  });
  logs.setGlobalLoggerProvider(provider);
  const logger: Logger = provider.getLogger(INSTRUMENTATION_SCOPE, VERSION);
  return {
    emitLine(line) {
      try {
        const record = pinoLineToLogRecord(line);
        if (record !== undefined) logger.emit(record);
      } catch {
        // a record that cannot be made is not sent; the line itself was written
      }
    },
    forceFlush: () => provider.forceFlush().catch(() => {}),
    shutdown: () => provider.shutdown().catch(() => {}),
  };
}

/**
 * The exporter with its failures reported to `onFailure` instead of rejected into the
 * batch processor, which would hand them to OpenTelemetry's global error handler (the
 * agent's handler there speaks of spans). The failed batch is dropped either way.
 */
function reportingFailures(exporter: LogRecordExporter, onFailure: (reason: string) => void): LogRecordExporter {
  return {
    export(records: ReadableLogRecord[], done) {
      exporter.export(records, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) onFailure(result.error?.message ?? 'the export failed');
        done({ code: ExportResultCode.SUCCESS });
      });
    },
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    shutdown: () => exporter.shutdown(),
  };
}
