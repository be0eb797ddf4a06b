/**
 * Sends encoded `ExportTraceServiceRequest` bytes through the agent's OTLP export
 * delegate (export/otlp-export-delegate.ts): OpenTelemetry's configuration from the
 * environment, its bound on concurrent exports and its reading of partial-success
 * answers, over a transport that never holds a process. Only the serializer is ours:
 * the request is already encoded when it gets here.
 */
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { createOtlpExportDelegate } from '../../export/otlp-export-delegate.js';

/** A batch of encoded spans. */
export interface EncodedBatch {
  readonly bytes: Uint8Array;
  readonly spans: number;
}

/** What `exporter-trace-otlp-proto` calls its component, for OpenTelemetry's self-observability attributes. */
export const SPAN_EXPORTER_COMPONENT = 'otlp_http_span_exporter';

/** Creates the delegate that posts encoded batches to `url`. */
export function createOtlpHttpDelegate(url: string): IOtlpExportDelegate<EncodedBatch> {
  return createOtlpExportDelegate<EncodedBatch>({
    signal: 'TRACES',
    url,
    contentType: 'application/x-protobuf',
    serializer: {
      serializeRequest: (batch: EncodedBatch) => batch.bytes,
      deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data),
    },
    componentType: SPAN_EXPORTER_COMPONENT,
    metricsHelper: { name: 'span', countItems: (batch: EncodedBatch) => batch.spans },
  });
}
