/**
 * Starts `LeanSpan`s: the sampling decision, ids and parent handling of the SDK's
 * `Tracer.startSpan`, with the provider's own sampler, limits, resource and span
 * processor, minus the work a caller that built valid attributes does not need.
 */
import { randomFillSync } from 'node:crypto';
import { INVALID_SPAN_CONTEXT, SamplingDecision, trace, TraceFlags, type Attributes, type Context, type Span, type SpanContext, type SpanKind } from '@opentelemetry/api';
import { isTracingSuppressed, maybeAddAttribute, AddAttributeDecision } from '@opentelemetry/core';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { LeanSpan, type LeanSpanShared } from './lean-span.js';

/** Random bytes drawn at once for many ids, and their hex: one system call and one conversion per ~250 spans. */
const ID_POOL_BYTES = 24 * 256;
const idPool = Buffer.allocUnsafe(ID_POOL_BYTES);
let hexPool = '';
let hexOffset = 0;
const ZEROS = /^0+$/;

/**
 * A random id of `bytes` bytes in lower-case hex, never all zeros (an invalid id): a slice
 * of a pool converted to hex at once, measured at a quarter of the cost of converting each
 * id on its own.
 */
function randomId(bytes: number): string {
  const length = bytes * 2;
  for (;;) {
    if (hexOffset + length > hexPool.length) {
      randomFillSync(idPool);
      hexPool = idPool.toString('hex');
      hexOffset = 0;
    }
    const id = hexPool.slice(hexOffset, hexOffset + length);
    hexOffset += length;
    if (!ZEROS.test(id)) return id;
  }
}

/** A tracer for spans the agent starts on its hot path. */
export class LeanTracer {
  constructor(
    private readonly shared: LeanSpanShared,
    private readonly sampler: Sampler,
  ) {}

  /**
   * Starts a span in `parent` with `attributes` the caller built from valid values
   * (`count` of them, within the limits; the object becomes the span's). Returns a
   * non-recording span when sampling drops it or tracing is suppressed, as the SDK does.
   */
  startSpan(name: string, kind: SpanKind, attributes: Attributes, count: number, parent: Context): Span {
    if (isTracingSuppressed(parent)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parentSpanContext = trace.getSpanContext(parent);
    const validParent = parentSpanContext !== undefined && trace.isSpanContextValid(parentSpanContext) ? parentSpanContext : undefined;
    const traceId = validParent?.traceId ?? randomId(16);
    const spanId = randomId(8);
    const result = this.sampler.shouldSample(parent, traceId, name, kind, attributes, []);
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: result.traceState ?? validParent?.traceState,
    };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    let dropped = 0;
    if (result.attributes !== undefined) {
      for (const key in result.attributes) {
        const decision = maybeAddAttribute({
          key,
          value: result.attributes[key],
          attributes: attributes as Record<string, unknown>,
          limits: this.shared.limits,
          currentAttributesCount: count,
        });
        if (decision === AddAttributeDecision.ADD_NEW) count++;
        else if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) dropped++;
      }
    }
    const span = new LeanSpan(this.shared, spanContext, validParent, name, kind, attributes, count, dropped);
    this.shared.processor.onStart(span as never, parent);
    return span;
  }
}
