import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter, SpanLimits, SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { INSTRUMENTATION_SCOPE } from '@twinkle/semconv';
import type { AgentConfig } from '../config.js';
import { VERSION } from '../version.js';
import { detachExports } from '../export/detached-exporter.js';
import { BATCH_OPTIONS, ENCODED_BATCH_OPTIONS } from './batch-options.js';
import { LeanTracer } from './lean-tracer.js';
import type { OtlpSpanProcessorEvents } from './otlp-span-processor.js';
import { createSampler } from './sampler.js';
import { ScrubbingSpanProcessor } from './scrubbing-span-processor.js';
import { createSpanExporter } from './span-exporter.js';

/** The SDK's defaults (`TracerProvider`): one object for the provider's spans and the agent's own. */
const SPAN_LIMITS: Required<SpanLimits> = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
};

/** The scope of the spans the agent starts itself (server spans). */
const AGENT_SCOPE: InstrumentationScope = { name: INSTRUMENTATION_SCOPE, version: VERSION };

/** Where spans go, and the two ways they are started. */
export interface Tracing {
  /** For instrumentations and the app (`trace.getTracer`). */
  readonly provider: TracerProvider;
  /** For the agent's own server spans: same sampler, limits, resource and processor. */
  readonly serverTracer: LeanTracer;
  /** How many spans have ended so far (the exit flush sends only when more did). */
  ended(): number;
  /** Sends what the processor holds and waits for the exports in flight. */
  flush(): Promise<void>;
}

/**
 * The tracer provider for the configured exporter and sampler, or `undefined` when
 * `OTEL_TRACES_EXPORTER=none`. The trace SDK is required only then. OTLP over
 * http/protobuf (the default) goes through the agent's own encoder; JSON and console
 * through the SDK's batch processor and OpenTelemetry's exporters. `events` are what
 * the agent's processor reports, for the agent to say once.
 */
export function createTracing(config: AgentConfig, resource: Resource, events: OtlpSpanProcessorEvents): Tracing | undefined {
  if (config.tracesExporter === 'none') return undefined;
  const { BatchSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  let processor: SpanProcessor & { readonly ended: number };
  // The SDK's batch processor does not wait for its exporter's exports in flight when flushed.
  let exporter: SpanExporter | undefined;
  if (config.tracesExporter === 'otlp' && config.tracesProtocol === 'http/protobuf') {
    const { createOtlpHttpDelegate } = require('./otlp/otlp-http-delegate.js') as typeof import('./otlp/otlp-http-delegate.js');
    const { OtlpProtobufSpanProcessor } = require('./otlp-span-processor.js') as typeof import('./otlp-span-processor.js');
    processor = new OtlpProtobufSpanProcessor(createOtlpHttpDelegate(config.tracesUrl), ENCODED_BATCH_OPTIONS, events);
  } else {
    exporter = detachExports(createSpanExporter(config)!, events.onExportFailure);
    processor = new ScrubbingSpanProcessor(new BatchSpanProcessor({ exporter, ...BATCH_OPTIONS }));
  }
  const sampler = createSampler(config);
  const provider = new TracerProvider({ resource, sampler, spanLimits: SPAN_LIMITS, spanProcessors: [processor] });
  const serverTracer = new LeanTracer({ resource, scope: AGENT_SCOPE, limits: SPAN_LIMITS, processor }, sampler);
  return {
    provider,
    serverTracer,
    ended: () => processor.ended,
    // The processor itself, not the provider: the provider's forceFlush keeps a 30 s timer
    // that is not unref'd for as long as the exports in flight have not answered.
    flush: async () => {
      await processor.forceFlush();
      await exporter?.forceFlush?.();
    },
  };
}
