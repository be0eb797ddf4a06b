import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import type { AgentConfig } from '../config.js';

/**
 * The OTLP push reader for `OTEL_METRICS_EXPORTER=otlp`. Required only when chosen;
 * interval and timeout keep OpenTelemetry's defaults.
 */
export function createOtlpMetricReader(config: Pick<AgentConfig, 'tracesProtocol' | 'metricsUrl'>): IMetricReader {
  if (config.tracesProtocol === 'http/json') {
    const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
    return new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: config.metricsUrl }) });
  }
  const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto');
  return new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: config.metricsUrl }) });
}
