import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../config.js';

/**
 * The SDK span exporter for `OTEL_TRACES_EXPORTER=console`, or `otlp` over http/json.
 * Each is required only when chosen: it pulls in its serializer, which costs start-up
 * time. Endpoint and protocol come validated from the config; headers, timeout and
 * compression OpenTelemetry reads from the environment (export/otlp-export-delegate.ts).
 */
export function createSpanExporter(
  config: Pick<AgentConfig, 'tracesExporter' | 'tracesProtocol' | 'tracesUrl'>,
): SpanExporter | undefined {
  switch (config.tracesExporter) {
    case 'none':
      return undefined;
    case 'console': {
      const { ConsoleSpanExporter } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
      return new ConsoleSpanExporter();
    }
    case 'otlp':
    default: {
      // http/protobuf goes through the agent's own encoder (tracer-provider.ts); this is http/json.
      const { OTLPExporterBase } = require('@opentelemetry/otlp-exporter-base') as typeof import('@opentelemetry/otlp-exporter-base');
      const { JsonTraceSerializer, TraceExporterMetricsHelper } = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
      const { createOtlpExportDelegate } = require('../export/otlp-export-delegate.js') as typeof import('../export/otlp-export-delegate.js');
      const { SPAN_EXPORTER_COMPONENT } = require('./otlp/otlp-http-delegate.js') as typeof import('./otlp/otlp-http-delegate.js');
      return new OTLPExporterBase(
        createOtlpExportDelegate({
          signal: 'TRACES',
          url: config.tracesUrl,
          contentType: 'application/json',
          serializer: JsonTraceSerializer,
          componentType: SPAN_EXPORTER_COMPONENT,
          metricsHelper: TraceExporterMetricsHelper,
        }),
      );
    }
  }
}
