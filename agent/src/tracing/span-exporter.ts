import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../config.js';

/**
 * The SDK span exporter for `OTEL_TRACES_EXPORTER=console`, or `otlp` over http/json.
 * Each is required only when chosen: it pulls in its serializer, which costs start-up time.
 * Endpoint and protocol come validated from the config; headers and timeout the
 * exporter reads from the environment itself.
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
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ url: config.tracesUrl });
    }
  }
}
