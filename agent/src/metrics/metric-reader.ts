import { PeriodicExportingMetricReader, type IMetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { AgentConfig } from '../config.js';

/**
 * The OTLP push reader for `OTEL_METRICS_EXPORTER=otlp`, with `producers` for metrics
 * kept outside the SDK's instruments. Required only when chosen; interval, timeout and
 * temporality preference keep OpenTelemetry's defaults and variables.
 */
export function createOtlpMetricReader(config: Pick<AgentConfig, 'tracesProtocol' | 'metricsUrl'>, producers: MetricProducer[] = []): IMetricReader {
  const exporter =
    config.tracesProtocol === 'http/json'
      ? new (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter({ url: config.metricsUrl })
      : new (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter({ url: config.metricsUrl });
  return new PeriodicExportingMetricReader({ exporter, metricProducers: producers });
}
