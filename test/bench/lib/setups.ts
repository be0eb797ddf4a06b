
/** The two shapes of the benchmark app (app.mjs's BENCH_SHAPE). */
export type Shape = 'bare' | 'service';

/** Which local receiver a setup sends its traces to. */
export type ReceiverKind = 'otlp' | 'datadog';

/** One way of running app.mjs: what a user would pick, started as they would start it. */
export interface Setup {
  readonly name: string;
  readonly nodeArgs: readonly string[];
  /** Environment added to the base one (which has no OTEL_*, DD_*, BENCH_* or NODE_OPTIONS). */
  readonly env: Readonly<Record<string, string>>;
  /** Where its traces go; every request must arrive there as one trace. */
  readonly receiver?: ReceiverKind;
}

/** The setups whose figures the targets compare. */
export const BARE = 'bare';
export const PROM_CLIENT = 'prom-client';
export const AGENT_OFF = 'agent, traces off';
export const AGENT_TRACED = 'agent, traced';
export const NODE_SDK = 'OpenTelemetry NodeSDK';
export const DD_TRACE = 'dd-trace';

/** Every setup of the benchmark, bare first. */
export function allSetups(ports: { otlp: number; datadog: number }): Setup[] {
  const otlp = `http://127.0.0.1:${ports.otlp}`;
  return [
    { name: BARE, nodeArgs: [], env: {} },
    // @hono/prometheus as its README registers it: registerMetrics on '*', printMetrics on GET /metrics.
    { name: PROM_CLIENT, nodeArgs: [], env: { BENCH_METRICS: 'prom-client' } },
    // Metrics and request ids only. LOG_LEVEL=warn leaves out the access log, which the bare
    // app does not write either.
    {
      name: AGENT_OFF,
      nodeArgs: ['--import', '@twinkle/agent'],
      env: { OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'warn' },
    },
    // Every request sampled and exported over OTLP/HTTP protobuf, access log written (the
    // server's stdout is /dev/null).
    {
      name: AGENT_TRACED,
      nodeArgs: ['--import', '@twinkle/agent'],
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        LOG_LEVEL: 'info',
      },
      receiver: 'otlp',
    },
    // OpenTelemetry's NodeSDK with instrumentation-http only (otel-sdk-node.mjs); no log
    // exporter either, so it carries traces only, as the agent's traced row does.
    {
      name: NODE_SDK,
      nodeArgs: ['--import', new URL('../otel-sdk-node.mjs', import.meta.url).href],
      env: {
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_LOGS_EXPORTER: 'none',
      },
      receiver: 'otlp',
    },
    // dd-trace as its documentation starts it for an ES module app. Every trace sampled and
    // kept: with DD_TRACE_SAMPLE_RATE=1 alone, its rate limiter (100 traces/s by default)
    // marks the rest rejected (they are still encoded and sent). Everything that is not
    // tracing is off.
    {
      name: DD_TRACE,
      nodeArgs: ['--import', 'dd-trace/initialize.mjs'],
      env: {
        DD_TRACE_AGENT_URL: `http://127.0.0.1:${ports.datadog}`,
        DD_TRACE_SAMPLE_RATE: '1',
        DD_TRACE_RATE_LIMIT: '-1',
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        DD_TRACE_STARTUP_LOGS: 'false',
        DD_RUNTIME_METRICS_ENABLED: 'false',
        DD_PROFILING_ENABLED: 'false',
        DD_APPSEC_ENABLED: 'false',
        DD_IAST_ENABLED: 'false',
        DD_CRASHTRACKING_ENABLED: 'false',
        DD_DYNAMIC_INSTRUMENTATION_ENABLED: 'false',
        DD_DATA_STREAMS_ENABLED: 'false',
        DD_LLMOBS_ENABLED: 'false',
      },
      receiver: 'datadog',
    },
  ];
}

/**
 * The setups BENCH_SCENARIOS names ("agent, traced;dd-trace": names separated by ';',
 * since names hold commas), always with bare, the baseline.
 */
export function selectSetups(setups: Setup[], selection: string | undefined): Setup[] {
  if (!selection) return setups;
  const names = selection.split(';').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !setups.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: no setup named ${unknown.map((n) => `"${n}"`).join(', ')}; the setups are ${setups.map((s) => `"${s.name}"`).join(', ')}`);
  return setups.filter((s) => s.name === BARE || names.includes(s.name));
}
