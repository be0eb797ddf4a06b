import { ROOT_CONTEXT, SamplingDecision, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, TracerProvider, TraceIdRatioBasedSampler, type ReadableSpan, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { LeanSpan } from '../../../agent/src/tracing/lean-span.js';
import { LeanTracer } from '../../../agent/src/tracing/lean-tracer.js';

const LIMITS = {
  attributeCountLimit: 6,
  attributeValueLengthLimit: 5,
  eventCountLimit: 2,
  linkCountLimit: 1,
  attributePerEventCountLimit: 2,
  attributePerLinkCountLimit: 1,
};

function capture(): SpanProcessor & { spans: ReadableSpan[]; started: number } {
  const p = {
    spans: [] as ReadableSpan[],
    started: 0,
    onStart() {
      p.started++;
    },
    onEnd: (s: ReadableSpan) => void p.spans.push(s),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  return p;
}

const resource = resourceFromAttributes({ 'service.name': 'x' });
const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

/** What a caller may do to a span after its start, including what the limits and an ended span refuse. */
function exercise(span: Span): void {
  span.setAttribute('str', 'a long value');
  span.setAttribute('', 'empty key');
  span.setAttribute('undefined', undefined);
  span.setAttribute('obj', { nested: true } as never);
  span.setAttributes({ arr: ['abcdefgh', 'ok'], n: 3, b: true, over: 'limit', over2: 'limit' });
  span.addEvent('one', { a: 'abcdefgh', b: 2, c: 3 });
  span.addEvent('two', [1700000000, 5]);
  span.recordException(Object.assign(new Error('boom'), { code: 'E_BOOM' }));
  span.recordException('plain message');
  span.addLink({ context: trace.getSpanContext(remoteParent)!, attributes: { x: 'abcdefgh', y: 2 } });
  span.addLinks([{ context: trace.getSpanContext(remoteParent)! }]);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'why' });
  span.setStatus({ code: SpanStatusCode.UNSET });
  span.updateName('renamed');
  span.end();
  span.setAttribute('after', 'end');
  span.updateName('after end');
  span.end();
}

/** A span's fields that do not depend on ids or clocks. */
function comparable(s: ReadableSpan) {
  return {
    name: s.name,
    kind: s.kind,
    parent: s.parentSpanContext,
    traceFlags: s.spanContext().traceFlags,
    traceId: s.parentSpanContext ? s.spanContext().traceId : 'new',
    attributes: s.attributes,
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes, droppedAttributesCount: e.droppedAttributesCount })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links,
    droppedLinksCount: s.droppedLinksCount,
    status: s.status,
    ended: s.ended,
    resource: s.resource,
  };
}

function both(sampler: Sampler, parent = remoteParent) {
  const sdkSink = capture();
  const sdk = new TracerProvider({ resource, sampler, spanLimits: LIMITS, spanProcessors: [sdkSink] }).getTracer('s');
  const leanSink = capture();
  const lean = new LeanTracer({ resource, scope: { name: 's' }, limits: LIMITS, processor: leanSink }, sampler);
  const a = sdk.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/p' } }, parent);
  const b = lean.startSpan('GET', SpanKind.SERVER, { 'http.request.method': 'GET', 'url.path': '/p' }, 2, parent);
  return { a, b, sdkSink, leanSink };
}

describe('LeanSpan', () => {
  it('ends up as the SDK span does after the same calls, limits and ended-span refusals included', () => {
    const { a, b, sdkSink, leanSink } = both({ shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }), toString: () => 'on' });
    exercise(a);
    exercise(b);
    expect(b).toBeInstanceOf(LeanSpan);
    expect(leanSink.spans).toHaveLength(1);
    expect(leanSink.started).toBe(1);
    expect(comparable(leanSink.spans[0])).toEqual(comparable(sdkSink.spans[0]));
    const s = leanSink.spans[0];
    expect(s.attributes.str).toBe('a lon');
    expect(s.droppedAttributesCount).toBeGreaterThan(0);
    expect(s.events.map((e) => e.name)).toEqual(['exception', 'exception']);
  });

  it('keeps times consistent: start from the clock, end after start, explicit times as given', () => {
    const before = Date.now();
    const { b, leanSink } = both({ shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }), toString: () => 'on' });
    b.addEvent('at', [1700000000, 42]);
    b.end();
    const after = Date.now();
    const s = leanSink.spans[0];
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    // Between the two clock readings, however long that took; 50 ms either side for the
    // drift between the wall clock and the monotonic clock the SDK's hrTime() adds to it.
    expect(ms(s.startTime)).toBeGreaterThan(before - 50);
    expect(ms(s.startTime)).toBeLessThan(after + 50);
    expect(ms(s.endTime)).toBeGreaterThanOrEqual(ms(s.startTime));
    expect(ms(s.duration)).toBeGreaterThanOrEqual(0);
    expect(s.events[0].time).toEqual([1700000000, 42]);
  });

  it('follows the sampler: dropped, recorded but not sampled, with its attributes and trace state', () => {
    const off = both(new AlwaysOffSampler(), ROOT_CONTEXT);
    expect(off.b.isRecording()).toBe(false);
    expect(off.b.spanContext().traceFlags).toBe(TraceFlags.NONE);
    off.b.end();
    expect(off.leanSink.spans).toHaveLength(0);

    const recordOnly = both({ shouldSample: () => ({ decision: SamplingDecision.RECORD, attributes: { 'sampler.added': 'yes' } }), toString: () => 'r' });
    recordOnly.a.end();
    recordOnly.b.end();
    expect(comparable(recordOnly.leanSink.spans[0])).toEqual(comparable(recordOnly.sdkSink.spans[0]));
    expect(recordOnly.leanSink.spans[0].attributes['sampler.added']).toBe('yes');

    const ratio = both(new TraceIdRatioBasedSampler(1), ROOT_CONTEXT);
    expect(ratio.b.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ratio.b.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ratio.b.spanContext().traceId).not.toBe(ratio.a.spanContext().traceId);
  });

  it('counts and limits attributes the agent sets without checks as setAttribute does', () => {
    const limits = { ...LIMITS, attributeCountLimit: 3, attributeValueLengthLimit: Infinity };
    const sdkSink = capture();
    const leanSink = capture();
    const sdk = new TracerProvider({ resource, spanLimits: limits, spanProcessors: [sdkSink] }).getTracer('s');
    const lean = new LeanTracer({ resource, scope: { name: 's' }, limits, processor: leanSink }, { shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }), toString: () => 'on' });
    const a = sdk.startSpan('x', { attributes: { one: 1, two: 2 } }, ROOT_CONTEXT);
    const b = lean.startSpan('x', SpanKind.INTERNAL, { one: 1, two: 2 }, 2, ROOT_CONTEXT) as LeanSpan;
    for (const [k, v] of [['three', 3], ['four', 'dropped'], ['three', 'overwritten'], ['five', 5]] as const) {
      a.setAttribute(k, v);
      b.setTrustedAttribute(k, v);
    }
    a.end();
    b.end();
    b.setTrustedAttribute('after', 'end');
    expect(comparable(leanSink.spans[0])).toEqual(comparable(sdkSink.spans[0]));
    expect(leanSink.spans[0].attributes).toEqual({ one: 1, two: 2, three: 'overwritten' });
    expect(leanSink.spans[0].droppedAttributesCount).toBe(2);
  });

  it('continues the remote parent\'s trace', () => {
    const { b } = both({ shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }), toString: () => 'on' });
    expect(b.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect((b as LeanSpan).parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });
});
