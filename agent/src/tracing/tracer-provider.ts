import type { Resource } from '@opentelemetry/resources';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../config.js';
import { BATCH_OPTIONS } from './batch-options.js';
import { createSampler } from './sampler.js';
import { ScrubbingSpanProcessor } from './scrubbing-span-processor.js';
import { createSpanExporter } from './span-exporter.js';



/**
 * The tracer provider for the configured exporter and sampler, or `undefined` when
 * `OTEL_TRACES_EXPORTER=none`. The trace SDK is required only then.
 */
export function createTracerProvider(config: AgentConfig, resource: Resource): TracerProvider | undefined {
  const exporter = createSpanExporter(config);
  if (exporter === undefined) return undefined;
  const { BatchSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  return new TracerProvider({
    resource,
    sampler: createSampler(config),
    spanProcessors: [new ScrubbingSpanProcessor(new BatchSpanProcessor({ exporter, ...BATCH_OPTIONS }))],
  });
}
