import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type AttributeValue } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { LeanTracer } from '../../../../agent/src/tracing/lean-tracer.js';
import { TraceRequest } from '../../../../agent/src/tracing/otlp/trace-request.js';
import { decodeExportRequest } from '../../../helpers/otlp-protobuf.js';

/** Keeps every ended span. */
function capture(): SpanProcessor & { spans: ReadableSpan[] } {
  const spans: ReadableSpan[] = [];
  return { spans, onStart() {}, onEnd: (s) => void spans.push(s), forceFlush: async () => {}, shutdown: async () => {} };
}

const LIMITS = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  eventCountLimit: 4,
  linkCountLimit: 3,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
};

const LONE = '\ud800';
const EVERY_TYPE: Record<string, AttributeValue | Uint8Array | Record<string, unknown>> = {
  'str.plain': 'GET /payments/:id',
  'str.empty': '',
  'str.64k': 'x'.repeat(64 * 1024),
  'str.64k.multibyte': 'é'.repeat(32 * 1024),
  'str.non_ascii': 'héllo wörld ✓ 😀 日本',
  'str.lone_high': `a${LONE}b`,
  'str.lone_low': '\udc00',
  'str.lone_at_end_long': `${'y'.repeat(200)}\ud83d`,
  'int.zero': 0,
  'int.answer': 42,
  'int.negative': -1,
  'int.min_safe': -(2 ** 53),
  'int.max_safe': 2 ** 53,
  'int.above_32_bits': 2 ** 40 + 5,
  'int.two_63': 2 ** 63,
  'double.half': 1.5,
  'double.negative': -0.25,
  'double.nan': Number.NaN,
  'double.inf': Number.POSITIVE_INFINITY,
  'double.neg_inf': Number.NEGATIVE_INFINITY,
  'bool.true': true,
  'bool.false': false,
  'array.strings': ['a', '', 'ü'],
  'array.ints': [1, -2, 3],
  'array.doubles': [1.5, Number.NaN],
  'array.bools': [true, false],
  'array.mixed': [1, 'a', true, 2.5, null as unknown as string],
  'array.empty': [],
  'array.nested': [[1, 2], ['x']] as unknown as AttributeValue,
  bytes: new Uint8Array([0, 1, 254, 255]),
  kvlist: { a: 1, b: 'two', c: [true], d: { deep: 'yes' } },
};

/** The same spans, however they were started: every attribute type, events, links, status, limits, parents. */
function makeSpans(): { spans: ReadableSpan[]; provider: TracerProvider } {
  const sink = capture();
  const resource = resourceFromAttributes({ 'service.name': 'différent', 'host.name': 'h', 'process.pid': 12 }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const provider = new TracerProvider({ resource, spanLimits: LIMITS, spanProcessors: [sink] });
  const tracer = provider.getTracer('scope-a', '1.2.3');
  const other = provider.getTracer('scope-b', undefined, { schemaUrl: 'https://example.com/schema' });

  const all = tracer.startSpan('every type', { kind: SpanKind.SERVER, attributes: EVERY_TYPE as Attributes });
  all.addEvent('plain');
  all.addEvent('with attributes', { 'e.str': 'v', 'e.int': 7, 'e.arr': ['a', 'b'] });
  all.addEvent('timed', [1700000000, 123456789]);
  all.recordException(new Error(`boom ${LONE} ü`));
  all.addEvent('overflows the event limit');
  all.setStatus({ code: SpanStatusCode.ERROR, message: 'broke: ü' });
  all.end();

  const many = tracer.startSpan('', { kind: SpanKind.CLIENT });
  for (let i = 0; i < 140; i++) many.setAttribute(`k${i}`, i % 2 ? `v${i}` : i);
  many.setStatus({ code: SpanStatusCode.OK });
  many.end();

  const remote = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=a,other=b'),
  };
  const child = tracer.startSpan('child of a remote parent ✓', { kind: SpanKind.PRODUCER }, trace.setSpanContext(ROOT_CONTEXT, remote));
  for (let i = 0; i < 5; i++) child.addLink({ context: { ...remote, spanId: `00000000000000${i}1` }, attributes: { n: i, s: 'link' } });
  child.end();

  const local = other.startSpan('local parent', { kind: SpanKind.CONSUMER });
  const grandchild = other.startSpan('grandchild', {}, trace.setSpan(context.active(), local));
  grandchild.end();
  local.end([1700000001, 5]);

  const lean = new LeanTracer({ resource, scope: { name: 'lean', version: '0.1.0' }, limits: LIMITS, processor: sink }, {
    shouldSample: () => ({ decision: 2 }),
    toString: () => 'always',
  });
  const server = lean.startSpan('GET', SpanKind.SERVER, { 'http.request.method': 'GET', 'url.path': '/p/1' }, 2, ROOT_CONTEXT);
  server.setAttribute('http.response.status_code', 503);
  server.updateName('GET /p/:id');
  server.setStatus({ code: SpanStatusCode.ERROR });
  server.end();
  return { spans: sink.spans, provider };
}

function ours(spans: ReadableSpan[]): Uint8Array {
  const request = new TraceRequest();
  for (const span of spans) request.add(span);
  return request.take()!;
}

describe('the OTLP protobuf span encoder', () => {
  it('encodes every field as OpenTelemetry serializes it, decoded field by field', () => {
    const { spans } = makeSpans();
    expect(spans).toHaveLength(6);
    const theirs = ProtobufTraceSerializer.serializeRequest(spans)!;
    const decodedOurs = decodeExportRequest(ours(spans));
    const decodedTheirs = decodeExportRequest(theirs);
    expect(decodedOurs).toEqual(decodedTheirs);
    // Spot checks that the comparison covers what it claims to.
    const tree = decodedOurs as { resourceSpans: Array<{ scopeSpans: Array<{ scope: { name: string }; spans: Array<Record<string, unknown>> }> }> };
    const scopes = tree.resourceSpans[0].scopeSpans;
    expect(scopes.map((s) => s.scope.name)).toEqual(['scope-a', 'scope-b', 'lean']);
    const every = scopes[0].spans[0] as { attributes: Array<{ key: string; value: unknown }>; events: unknown[]; droppedEventsCount: number };
    const byKey = Object.fromEntries(every.attributes.map((kv) => [kv.key, kv.value]));
    expect(byKey['str.lone_high']).toBe('a\ufffdb');
    expect(byKey['int.two_63']).toEqual({ double: 2 ** 63 });
    expect(byKey['double.nan']).toEqual({ double: Number.NaN });
    expect((byKey['str.64k'] as string).length).toBe(65536);
    expect(every.events).toHaveLength(4);
    expect(every.droppedEventsCount).toBe(1);
    expect(scopes[0].spans[1].droppedAttributesCount).toBe(12);
    expect(scopes[0].spans[2].droppedLinksCount).toBe(2);
  });

  it('writes the same bytes as OpenTelemetry for the same spans', () => {
    const { spans } = makeSpans();
    expect(Buffer.from(ours(spans)).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(true);
  });

  it('encodes one span at a time into batches that decode on their own', () => {
    const { spans } = makeSpans();
    const request = new TraceRequest();
    request.add(spans[0]);
    request.add(spans[1]);
    const first = request.take()!;
    for (const span of spans.slice(2)) request.add(span);
    const second = request.take()!;
    expect(request.take()).toBeUndefined();
    expect(decodeExportRequest(first)).toEqual(decodeExportRequest(ProtobufTraceSerializer.serializeRequest(spans.slice(0, 2))!));
    expect(decodeExportRequest(second)).toEqual(decodeExportRequest(ProtobufTraceSerializer.serializeRequest(spans.slice(2))!));
  });

  it('drops a span whose encoding throws and keeps the spans around it intact', () => {
    const { spans } = makeSpans();
    const broken = Object.create(spans[1]) as ReadableSpan;
    Object.defineProperty(broken, 'attributes', {
      get() {
        return new Proxy({ a: 1, b: 2 }, {
          get(target, key) {
            if (key === 'b') throw new Error('attribute getter broke');
            return Reflect.get(target, key);
          },
        });
      },
    });
    const request = new TraceRequest();
    request.add(spans[0]);
    expect(() => request.add(broken)).toThrow('attribute getter broke');
    request.add(spans[2]);
    expect(request.spans).toBe(2);
    expect(decodeExportRequest(request.take()!)).toEqual(decodeExportRequest(ProtobufTraceSerializer.serializeRequest([spans[0], spans[2]])!));
  });

  it('writes the order of resources and scopes OpenTelemetry writes for each batch, whatever earlier batches held', () => {
    const sink = capture();
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 's' }), spanProcessors: [sink] });
    const a = provider.getTracer('a');
    const b = provider.getTracer('b');
    const c = provider.getTracer('c');
    for (const tracer of [a, b, c, a]) tracer.startSpan('first batch').end();
    for (const tracer of [c, b, a, c]) tracer.startSpan('second batch').end();
    const request = new TraceRequest();
    const batches = [sink.spans.slice(0, 4), sink.spans.slice(4)];
    for (const batch of batches) {
      for (const span of batch) request.add(span);
      expect(Buffer.from(request.take()!).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!))).toBe(true);
    }
  });

  it('writes scopes, names and ids that are not what their types say as OpenTelemetry writes them, and loses no other span', () => {
    const sink = capture();
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 's' }), spanProcessors: [sink] });
    const untyped = provider as unknown as { getTracer(name: unknown, version?: unknown): ReturnType<TracerProvider['getTracer']> };
    const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true };
    provider.getTracer('plain', '1.0.0').startSpan('before').end();
    untyped.getTracer('lib', 5).startSpan('from a tracer whose version is a number').end();
    untyped.getTracer(7).startSpan('from a tracer whose name is a number').end();
    const tracer = provider.getTracer('plain', '1.0.0');
    tracer.startSpan(42 as unknown as string).end();
    tracer.startSpan(new String('a String object') as unknown as string).end();
    const withEvent = tracer.startSpan('an event named true');
    withEvent.addEvent(true as unknown as string);
    withEvent.end();
    const linked = tracer.startSpan('links with ids that are not hex', {
      links: [
        { context: { ...remote, traceId: 'zz'.repeat(16), spanId: 'ıı'.repeat(8) } },
        { context: { ...remote, traceId: 'é0'.repeat(16), spanId: 'b7ad6b716920333' } },
        { context: { ...remote, traceId: 42 as unknown as string, spanId: 'B7AD6B7169203331' } },
      ],
    });
    linked.end();
    tracer.startSpan('after').end();
    const spans = [...sink.spans];
    // The SDK drops a status message that is not a string; a span of another SDK (or a processor) may still carry one.
    const odd = Object.create(spans[2]) as ReadableSpan;
    Object.defineProperty(odd, 'status', { value: { code: SpanStatusCode.ERROR, message: {} } });
    spans.push(odd);

    const theirs = ProtobufTraceSerializer.serializeRequest(spans)!;
    const mine = ours(spans);
    expect(decodeExportRequest(mine)).toEqual(decodeExportRequest(theirs));
    expect(Buffer.from(mine).equals(Buffer.from(theirs))).toBe(true);
    const tree = decodeExportRequest(mine) as { resourceSpans: Array<{ scopeSpans: Array<{ scope: Record<string, unknown>; spans: Array<Record<string, unknown>> }> }> };
    const scopes = tree.resourceSpans[0].scopeSpans;
    expect(scopes.map((s) => s.scope)).toEqual([
      { name: 'plain', version: '1.0.0', attributes: [] },
      { name: 'lib', version: '', attributes: [] },
      { name: '', attributes: [] },
    ]);
    expect(scopes.flatMap((s) => s.spans).map((s) => s.name)).toEqual([
      'before',
      '',
      'a String object',
      'an event named true',
      'links with ids that are not hex',
      'after',
      'from a tracer whose version is a number',
      'from a tracer whose name is a number',
      'from a tracer whose name is a number', // the copy with a status message that is an object
    ]);
  });

  it('writes a scope version OpenTelemetry cannot write (an array) as empty, and drops only a span whose scope throws', () => {
    const sink = capture();
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 's' }), spanProcessors: [sink] });
    const untyped = provider as unknown as { getTracer(name: unknown, version?: unknown): ReturnType<TracerProvider['getTracer']> };
    provider.getTracer('plain').startSpan('kept').end();
    untyped.getTracer('lib', ['1', '2']).startSpan('kept, its scope version empty').end();
    provider.getTracer('plain').startSpan('kept too').end();
    // OpenTelemetry's serializer loses the whole batch to the array.
    expect(() => ProtobufTraceSerializer.serializeRequest(sink.spans)).toThrow(TypeError);
    const throwing = Object.create(sink.spans[0]) as ReadableSpan;
    Object.defineProperty(throwing, 'instrumentationScope', {
      value: {
        name: 'throws',
        get version(): string {
          throw new Error('version getter broke');
        },
      },
    });
    const request = new TraceRequest();
    request.add(sink.spans[0]);
    request.add(sink.spans[1]);
    expect(() => request.add(throwing)).toThrow('version getter broke');
    request.add(sink.spans[2]);
    const tree = decodeExportRequest(request.take()!) as { resourceSpans: Array<{ scopeSpans: Array<{ scope: { name: string; version?: string }; spans: Array<{ name: string }> }> }> };
    expect(tree.resourceSpans[0].scopeSpans.map((s) => [s.scope.name, s.scope.version, s.spans.map((x) => x.name)])).toEqual([
      ['plain', undefined, ['kept', 'kept too']],
      ['lib', '', ['kept, its scope version empty']],
    ]);
  });
});
