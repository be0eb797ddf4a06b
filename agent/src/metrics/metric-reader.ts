import { PeriodicExportingMetricReader, type IMetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { AgentConfig } from '../config.js';

/**
 * The OTLP push reader for `OTEL_METRICS_EXPORTER=otlp`, with `producers` for metrics
 * kept outside the SDK's instruments. Required only when chosen; interval, timeout and
 * temporality preference keep OpenTelemetry's defaults and variables.
 */
export function createOtlpMetricReader(config: Pick<AgentConfig, 'tracesProtocol' | 'metricsUrl'>, producers: MetricProducer[] = []): IMetricReader {
  const { OTLPMetricExporter } =
    config.tracesProtocol === 'http/json'
      ? (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http'))
      : (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto'));
  const exporter = new OTLPMetricExporter({ url: config.metricsUrl });
  return new PeriodicExportingMetricReader({ exporter, metricProducers: producers });
}
