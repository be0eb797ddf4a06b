/**
 * The export delegate of every OTLP exporter the agent makes (spans, log records,
 * pushed metrics): OpenTelemetry's own (`createOtlpNetworkExportDelegate`: its bound on
 * exports in flight, its handling of partial success and of its own diagnostics), with
 * the endpoint's configuration read by OpenTelemetry from the options and the
 * `OTEL_EXPORTER_OTLP_*` variables (headers, timeout, compression, certificates), over
 * the agent's transport, which never keeps a process alive (otlp-http-transport.ts).
 */
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { createOtlpNetworkExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http';
import { createOtlpHttpTransport } from './otlp-http-transport.js';

/** The signals, as OpenTelemetry names them in its variables (`OTEL_EXPORTER_OTLP_TRACES_*`). */
export type OtlpSignal = 'TRACES' | 'METRICS' | 'LOGS';

type Serializer<Internal> = Parameters<typeof createOtlpNetworkExportDelegate<Internal, unknown>>[1];
type MetricsHelper<Internal> = Parameters<typeof createOtlpHttpExporterMetrics<Internal>>[1];

/** What an exporter of one signal sends, and how OpenTelemetry's self-observability names it. */
export interface OtlpExportOptions<Internal> {
  readonly signal: OtlpSignal;
  /** The full URL (validated by the agent's config). */
  readonly url: string;
  readonly contentType: 'application/x-protobuf' | 'application/json';
  readonly serializer: Serializer<Internal>;
  /** `otel.component.type` of the exporter OpenTelemetry would have used (`otlp_http_span_exporter` ...). */
  readonly componentType: string;
  readonly metricsHelper: MetricsHelper<Internal>;
}

/** Creates the delegate for one signal's endpoint. */
export function createOtlpExportDelegate<Internal>(options: OtlpExportOptions<Internal>): IOtlpExportDelegate<Internal> {
  const path = `v1/${options.signal.toLowerCase()}`;
  const config = convertLegacyHttpOptions({ url: options.url }, options.signal, path, { 'Content-Type': options.contentType });
  // No meter provider: the exporters' own metrics would add families the metric table does not list.
  const metrics = createOtlpHttpExporterMetrics(options.componentType, options.metricsHelper, config.url, undefined);
  return createOtlpNetworkExportDelegate(config, options.serializer, metrics, createOtlpHttpTransport(config));
}
