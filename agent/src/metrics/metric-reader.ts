import { PeriodicExportingMetricReader, type IMetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { AgentConfig } from '../config.js';
import { detachExports } from '../export/detached-exporter.js';

/** What `exporter-metrics-otlp-*` calls its component, for OpenTelemetry's self-observability attributes. */
const METRIC_EXPORTER_COMPONENT = 'otlp_http_metric_exporter';

/**
 * The OTLP push reader for `OTEL_METRICS_EXPORTER=otlp`, with `producers` for metrics
 * kept outside the SDK's instruments: OpenTelemetry's metric exporter (its temporality
 * from `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`) over the agent's export
 * delegate, every `OTEL_METRIC_EXPORT_INTERVAL` (the SDK's reader does not read the
 * variables itself). Required only when chosen.
 */
export function createOtlpMetricReader(
  config: Pick<AgentConfig, 'tracesProtocol' | 'metricsUrl' | 'metricExportIntervalMs' | 'metricExportTimeoutMs'>,
  producers: MetricProducer[],
  onFailure: (reason: string) => void,
): IMetricReader {
  const { OTLPMetricExporterBase } = require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
  const transformer = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
  const { createOtlpExportDelegate } = require('../export/otlp-export-delegate.js') as typeof import('../export/otlp-export-delegate.js');
  const json = config.tracesProtocol === 'http/json';
  const exporter = detachExports(new OTLPMetricExporterBase(
    createOtlpExportDelegate({
      signal: 'METRICS',
      url: config.metricsUrl,
      contentType: json ? 'application/json' : 'application/x-protobuf',
      serializer: json ? transformer.JsonMetricsSerializer : transformer.ProtobufMetricsSerializer,
      componentType: METRIC_EXPORTER_COMPONENT,
      metricsHelper: transformer.MetricsExporterMetricsHelper,
    }),
  ), onFailure);
  return new PeriodicExportingMetricReader({
    exporter,
    metricProducers: producers,
    exportIntervalMillis: config.metricExportIntervalMs,
    // The SDK refuses a timeout longer than the interval.
    exportTimeoutMillis: Math.min(config.metricExportTimeoutMs, config.metricExportIntervalMs),
  });
}
