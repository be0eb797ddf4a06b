// The "OpenTelemetry NodeSDK" setup of the benchmark, preloaded with
// `node --import ./test/bench/otel-sdk-node.mjs app.mjs`: OpenTelemetry's own NodeSDK as its
// documentation sets it up for an ES module app, with the HTTP instrumentation only, spans
// exported over OTLP/HTTP protobuf (OTEL_EXPORTER_OTLP_ENDPOINT) through the SDK's default
// batch processor, and every span sampled (OTEL_TRACES_SAMPLER=always_on from the setup's
// environment). No metric reader; resource detectors limited to env, host, os and process:
// the cloud detectors call addresses off this machine.
import { register } from 'node:module';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetector, hostDetector, osDetector, processDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';

// OpenTelemetry's ESM support: without import-in-the-middle's hook, instrumentations only
// see modules loaded with require(), and the app's ESM imports would go untraced.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const sdk = new NodeSDK({
  instrumentations: [new HttpInstrumentation()],
  traceExporter: new OTLPTraceExporter(),
  metricReaders: [],
  resourceDetectors: [envDetector, hostDetector, osDetector, processDetector],
});
sdk.start();
