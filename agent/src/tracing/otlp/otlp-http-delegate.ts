/**
 * Sends encoded `ExportTraceServiceRequest` bytes with OpenTelemetry's own OTLP/HTTP
 * machinery (`@opentelemetry/otlp-exporter-base`): the same configuration from the
 * environment as `@opentelemetry/exporter-trace-otlp-proto` (`OTEL_EXPORTER_OTLP_*`
 * headers, timeout, compression, certificates), its retries with backoff, its bound on
 * concurrent exports and its reading of partial-success answers. Only the serializer is
 * ours: the request is already encoded when it gets here.
 */
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/** A batch of encoded spans. */
export interface EncodedBatch {
  readonly bytes: Uint8Array;
  readonly spans: number;
}

/** What `exporter-trace-otlp-proto` calls its component, for OpenTelemetry's self-observability attributes. */
const COMPONENT_TYPE = 'otlp_http_span_exporter';

/** Creates the delegate that posts encoded batches to `url`. */
export function createOtlpHttpDelegate(url: string): IOtlpExportDelegate<EncodedBatch> {
  return createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({ url }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
    {
      serializeRequest: (batch: EncodedBatch) => batch.bytes,
      deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data),
    },
    COMPONENT_TYPE,
    { name: 'span', countItems: (batch: EncodedBatch) => batch.spans },
    undefined,
  );
}
