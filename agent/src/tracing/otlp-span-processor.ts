import { context, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { EncodedBatch } from './otlp/otlp-http-delegate.js';
import { TraceRequest } from './otlp/trace-request.js';
import { scrubSpan } from './scrubbing-span-processor.js';

/** When a batch leaves. */
export interface OtlpSpanProcessorOptions {
  /** A batch leaves when it holds this many spans... @default 512 */
  readonly maxBatchSpans: number;
  /** ...or this many bytes... @default 1 MiB */
  readonly maxBatchBytes: number;
  /** ...or this long after its first span. @default 500 */
  readonly delayMs: number;
}

/** What the processor reports, for the agent to say once. */
export interface OtlpSpanProcessorEvents {
  /** A batch was not delivered (refused, timed out, too many in flight): its spans are dropped. */
  onExportFailure(reason: string): void;
  /** A span could not be encoded: it is dropped, the others of its batch are not. */
  onEncodeFailure(error: unknown): void;
}

/**
 * The agent's span processor for OTLP/HTTP protobuf, in place of the SDK's
 * `BatchSpanProcessor` and `OTLPTraceExporter`: each sampled span is scrubbed and
 * encoded the moment it ends (see `TraceRequest`), so no ended span waits in memory as
 * an object and no export serialises a whole batch in one go on the event loop; a full
 * batch is handed to OpenTelemetry's OTLP/HTTP delegate, which bounds the exports in
 * flight (a refusing or hanging collector costs bounded memory, and the spans are
 * dropped). Nothing here throws into the code that ended the span.
 */
export class OtlpProtobufSpanProcessor implements SpanProcessor {
  /** Sampled spans ended so far. */
  ended = 0;
  private readonly request = new TraceRequest();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly sendLater = (): void => {
    this.timer = undefined;
    this.send();
  };

  constructor(
    private readonly delegate: IOtlpExportDelegate<EncodedBatch>,
    private readonly options: OtlpSpanProcessorOptions,
    private readonly events: OtlpSpanProcessorEvents,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    try {
      if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      this.ended++;
      scrubSpan(span);
      this.request.add(span);
    } catch (err) {
      this.report(() => this.events.onEncodeFailure(err));
      return;
    }
    if (this.request.spans >= this.options.maxBatchSpans || this.request.bytes >= this.options.maxBatchBytes) this.send();
    else if (this.timer === undefined) this.timer = setTimeout(this.sendLater, this.options.delayMs).unref();
  }

  /** Hands what is encoded to the delegate now. */
  private send(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const spans = this.request.spans;
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.request.take();
    } catch (err) {
      this.request.clear();
      this.report(() => this.events.onEncodeFailure(err));
      return;
    }
    if (bytes === undefined) return;
    const batch: EncodedBatch = { bytes, spans };
    try {
      // The export's own HTTP request must not become a span of the app's.
      context.with(suppressTracing(context.active()), () =>
        this.delegate.export(batch, (result) => {
          if (result.code !== ExportResultCode.SUCCESS)
            this.report(() => this.events.onExportFailure(result.error?.message ?? 'the export failed'));
        }),
      );
    } catch (err) {
      this.report(() => this.events.onExportFailure(err instanceof Error ? err.message : String(err)));
    }
  }

  private report(say: () => void): void {
    try {
      say();
    } catch {
      // reporting must not fail the caller either
    }
  }

  async forceFlush(): Promise<void> {
    this.send();
    await this.delegate.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    await this.delegate.shutdown();
  }
}
