/**
 * `OTEL_LOGS_EXPORTER=otlp`: a LoggerProvider whose records pass the scrubber first
 * (scrubbing-log-processor.ts) and then a bounded batch processor and OpenTelemetry's
 * OTLP/HTTP log exporter (protobuf, or JSON with `http/json`) over the agent's export
 * delegate, registered as the global one so instrumentation-pino sends the lines of an
 * app's own `pino()` loggers to it, and a sink for the agent's own lines. The logs SDK is
 * not in the agent's bundle (agent/scripts/bundle.mjs): it is required from node_modules
 * here, only when chosen, so the default start-up reads and compiles none of it.
 */
import { logs, type Logger } from '@opentelemetry/api';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { JsonLogsSerializer, LogsExporterMetricsHelper, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AgentConfig } from '../config.js';
import { INSTRUMENTATION_SCOPE } from '@twinkle/semconv';
import { detachExports } from '../export/detached-exporter.js';
import { createOtlpExportDelegate } from '../export/otlp-export-delegate.js';
import { VERSION } from '../version.js';
import { pinoLineToLogRecord } from './pino-line-record.js';
import { ScrubbingLogRecordProcessor } from './scrubbing-log-processor.js';

/** What `exporter-logs-otlp-*` calls its component, for OpenTelemetry's self-observability attributes. */
const LOG_EXPORTER_COMPONENT = 'otlp_http_log_exporter';

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
  /** How many records have been emitted (every source), for the exit flush. */
  emitted(): number;
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
  const json = config.logsProtocol === 'http/json';
  const otlp = new OTLPExporterBase<ReadableLogRecord[]>(
    createOtlpExportDelegate({
      signal: 'LOGS',
      url: config.logsUrl,
      contentType: json ? 'application/json' : 'application/x-protobuf',
      serializer: json ? JsonLogsSerializer : ProtobufLogsSerializer,
      componentType: LOG_EXPORTER_COMPONENT,
      metricsHelper: LogsExporterMetricsHelper,
    }),
  );
  const exporter = detachExports(otlp, onFailure);
  const scrubbing = new ScrubbingLogRecordProcessor();
  const batch = new sdk.BatchLogRecordProcessor({
    exporter,
    maxQueueSize: LOG_QUEUE_SIZE,
    maxExportBatchSize: LOG_BATCH_SIZE,
    scheduledDelayMillis: LOG_BATCH_DELAY_MS,
  });
  const provider = new sdk.LoggerProvider({ resource, processors: [scrubbing, batch] });
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
    emitted: () => scrubbing.emitted,
    // The batch processor itself, not the provider: the provider's forceFlush keeps a 30 s
    // timer that is not unref'd for as long as the exports in flight have not answered.
    forceFlush: () => batch.forceFlush().catch(() => {}),
    shutdown: () => provider.shutdown().catch(() => {}),
  };
}
