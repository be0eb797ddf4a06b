/**
 * Builds and starts the agent's one OpenTelemetry setup from its parts, imported one
 * by one rather than through `@opentelemetry/sdk-node` (which loads every exporter it
 * might use and costs ~240 ms of start-up): context, propagation, tracer provider,
 * meter provider with the Prometheus reader, the instrumentations, and the HTTP server
 * instrumentation. If any step throws, what was installed is undone and the error is
 * rethrown, so the caller can leave the app uninstrumented.
 */
import { context, createNoopMeter, logs, metrics, propagation, trace, type MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { CompositePropagator, setGlobalErrorHandler, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AggregationTemporality, InstrumentType, MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { INSTRUMENTATION_SCOPE, METRIC_HTTP_REQUEST_DURATION, METRIC_SETTLEMENT_DURATION } from '@twinkle/semconv';
import type { AgentConfig } from './config.js';
import type { AgentDiag } from './diag.js';
import { publishLogger, publishSentry, publishSettlementExemplars } from './agent-globals.js';
import { createInstrumentations } from './instrumentations/index.js';
import type { BuiltInInstrumentation } from './instrumentations/switches.js';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { LogExport } from './logs/log-export.js';
import { patchFetchForJsonRpc } from './instrumentations/json-rpc/json-rpc.js';
import { createLoggers } from './logging.js';
import { createHttpServerMetrics, type HttpServerMetrics } from './metrics/http.js';
import { createOtlpMetricReader } from './metrics/metric-reader.js';
import { createPrometheusEndpoint, METRICS_PATH, type PrometheusEndpoint } from './metrics/prometheus.js';
import { createSettlementExemplars } from './metrics/settlement-exemplars.js';
import { registerRuntimeMetrics } from './metrics/runtime/index.js';
import { createResource } from './resource.js';
import { startSentry, type SentryReporter } from './sentry.js';
import { installShutdownHandlers, SHUTDOWN_FLUSH_MS } from './shutdown.js';
import { BATCH_OPTIONS } from './tracing/batch-options.js';
import { withoutCredentials } from './scrub.js';
import { installServerInstrumentation } from './server/http-server-instrumentation.js';
import { RequestContextManager } from './server/request-context-manager.js';
import type { Tracing } from './tracing/tracer-provider.js';
import { VERSION } from './version.js';

/** A started (or never started) agent. */
export interface AgentHandle {
  readonly started: boolean;
  /** Where `/metrics` is answered, for the start-up line. */
  readonly metricsEndpoint: string | undefined;
  /** Takes over OpenTelemetry warnings the agent reports in its own words (see bridgeOtelDiag). */
  rerouteOtelWarning(msg: string): boolean;
  /** Flushes and stops every provider; never rejects. */
  shutdown(): Promise<void>;
}

/** Instrumentations record spans only: their own metrics would add families the README does not list. */
const NOOP_METER_PROVIDER: ApiMeterProvider = { getMeter: () => createNoopMeter() };

/**
 * The OpenTelemetry API globals someone else already registered. The API keeps them on
 * one global object per major version (`Symbol.for('opentelemetry.js.api.1')`, see
 * opentelemetry-js api/src/internal/global-utils.ts); checking first avoids the API's own
 * "duplicate registration" errors and a half-set-up agent.
 */
function registeredOtelGlobals(): string[] {
  const registry = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[Symbol.for('opentelemetry.js.api.1')];
  if (registry === undefined) return [];
  return ['context', 'trace', 'metrics', 'propagation'].filter((name) => registry[name] !== undefined);
}

/** Whether spans go anywhere: without an exporter, nothing that only makes spans is loaded. */
export function isTracing(config: Pick<AgentConfig, 'tracesExporter'>): boolean {
  return config.tracesExporter !== 'none';
}

/** Which instrumentations run (instrumentations/switches.ts); by default the built-in set. */
export interface InstrumentationChoice {
  readonly enabled?: ReadonlySet<BuiltInInstrumentation>;
  readonly contrib?: readonly Instrumentation[];
}

/** Whether pino lines also go over OTLP. */
export function isSendingLogs(config: Pick<AgentConfig, 'logsExporter'>): boolean {
  return config.logsExporter === 'otlp';
}

/** Starts the agent. Throws only after undoing whatever it had installed. */
export function startAgent(config: AgentConfig, diag: AgentDiag, choice: InstrumentationChoice = {}): AgentHandle {
  const taken = registeredOtelGlobals();
  if (taken.length > 0) throw new Error(`another OpenTelemetry setup is already registered (${taken.join(', ')})`);
  const undo: Array<() => unknown> = [];
  try {
    const tracing = isTracing(config);
    const reportSpanExportTrouble = (reason: string): void =>
      diag.warnOnce(
        'span export',
        `span export to ${withoutCredentials(config.tracesUrl)} failed: ${reason}; spans are dropped while it fails (not logged again)`,
      );
    const sendingLogs = isSendingLogs(config);
    const resource = createResource(config, tracing || config.metricsExporter === 'otlp' || sendingLogs);
    // The logs SDK and exporter load only when pino lines go over OTLP too.
    let logExport: LogExport | undefined;
    if (sendingLogs) {
      logExport = (require('./logs/log-export.js') as typeof import('./logs/log-export.js')).startLogExport(config, resource, (reason) =>
        diag.warnOnce(
          'log export',
          `log export to ${withoutCredentials(config.logsUrl)} failed: ${reason}; log records are dropped while it fails (lines are still written; not logged again)`,
        ),
      );
      undo.push(() => logs.disable());
      diag.pipe(logExport.emitLine);
    }
    const loggers = createLoggers(config, logExport?.emitLine);
    const loggerTaken = publishLogger(loggers.logger);

    const contextManager = new RequestContextManager();
    context.setGlobalContextManager(contextManager.enable());
    undo.push(() => context.disable());
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    undo.push(() => propagation.disable());

    // The trace SDK and its exporter load only when spans go somewhere.
    const traces: Tracing | undefined = tracing
      ? (require('./tracing/tracer-provider.js') as typeof import('./tracing/tracer-provider.js')).createTracing(config, resource, {
          onExportFailure: reportSpanExportTrouble,
          onEncodeFailure: (err) =>
            diag.warnOnce(
              'span encoding',
              `a span could not be encoded for export and was dropped: ${err instanceof Error ? err.message : String(err)}; such spans are dropped (not logged again)`,
            ),
        })
      : undefined;
    const tracerProvider = traces?.provider;
    if (tracerProvider !== undefined) {
      trace.setGlobalTracerProvider(tracerProvider);
      undo.push(() => trace.disable());
      // An exporter that refuses or hangs fails every batch, and then the bounded queue
      // overflows: both are one problem, said once.
      setGlobalErrorHandler((err) => reportSpanExportTrouble(err instanceof Error ? err.message : String(err)));
      undo.push(patchFetchForJsonRpc());
    }

    let prometheus: PrometheusEndpoint | undefined;
    let reader: IMetricReader | undefined;
    let httpMetrics: HttpServerMetrics | undefined;
    if (config.metricsExporter !== 'none') {
      // The HTTP metrics are kept by the agent and collected through the reader, in the
      // temporality the reader asks for (Prometheus: cumulative).
      // Exemplars are written only into OpenMetrics scrapes, and come only from sampled spans.
      const exemplarInterval =
        tracing && config.metricsExporter === 'prometheus' && config.exemplarFilter === 'trace_based' ? config.exemplarIntervalMs : undefined;
      const temporality = (): AggregationTemporality =>
        reader?.selectAggregationTemporality(InstrumentType.HISTOGRAM) ?? AggregationTemporality.CUMULATIVE;
      httpMetrics = createHttpServerMetrics(temporality, exemplarInterval);
      if (config.metricsExporter === 'prometheus') {
        const http = httpMetrics;
        const settlementExemplars = exemplarInterval === undefined ? undefined : createSettlementExemplars(exemplarInterval);
        if (settlementExemplars !== undefined) publishSettlementExemplars(settlementExemplars);
        prometheus = createPrometheusEndpoint([http.producer], (name, attributes) => {
          if (name === METRIC_HTTP_REQUEST_DURATION.name) return http.exemplarsOf(attributes);
          if (name === METRIC_SETTLEMENT_DURATION.name) return settlementExemplars?.exemplarsOf(attributes);
          return undefined;
        });
        reader = prometheus.exporter;
      } else {
        reader = createOtlpMetricReader(config, [httpMetrics.producer]);
      }
    }
    let meterProvider: MeterProvider | undefined;
    if (reader !== undefined) {
      meterProvider = new MeterProvider({ resource, readers: [reader] });
      metrics.setGlobalMeterProvider(meterProvider);
      undo.push(() => metrics.disable());
      registerRuntimeMetrics(meterProvider.getMeter(INSTRUMENTATION_SCOPE, VERSION));
    }

    // Sentry is a subsystem of its own: if it cannot start, metrics and traces still run.
    let sentry: SentryReporter | undefined;
    try {
      sentry = startSentry(config, diag);
      if (sentry !== undefined) publishSentry(sentry);
    } catch (err) {
      diag.error(`sentry disabled: ${err instanceof Error ? err.message : String(err)}`);
    }

    const onAppPort = prometheus !== undefined && config.prometheusListener === undefined;
    const unregister = registerInstrumentations({
      instrumentations: createInstrumentations({
        tracing,
        logSending: sendingLogs,
        enabled: choice.enabled,
        contrib: choice.contrib,
        reservedPaths: onAppPort ? [METRICS_PATH] : [],
        onReservedRoute: (method, path) =>
          diag.warnOnce(
            `reserved ${path}`,
            `the app registers ${method} ${path}; the agent answers ${path} before the app sees it (set OTEL_EXPORTER_PROMETHEUS_PORT to serve metrics on their own port and give ${path} back to the app)`,
          ),
      }),
      tracerProvider,
      meterProvider: NOOP_METER_PROVIDER,
    });
    undo.push(unregister);

    undo.push(
      installServerInstrumentation({
        metrics: httpMetrics,
        tracer: traces?.serverTracer,
        contextManager,
        // A request's context is entered only when something can read it.
        needsContext: () => tracing || sentry !== undefined || loggerTaken(),
        serveMetrics: onAppPort ? prometheus?.serve : undefined,
        metricsPath: METRICS_PATH,
        accessLog: loggers.accessLog,
        onServerError: sentry?.captureServerError,
      }),
    );

    // Spans, events and pushed metrics of finished requests leave before a terminating
    // process ends (a Prometheus reader has nothing to push).
    const pushesMetrics = meterProvider !== undefined && prometheus === undefined;
    if (tracerProvider !== undefined || sentry !== undefined || pushesMetrics || logExport !== undefined) {
      undo.push(
        installShutdownHandlers(async () => {
          await Promise.allSettled([
            tracerProvider?.forceFlush(),
            logExport?.forceFlush(),
            sentry?.flush(SHUTDOWN_FLUSH_MS - 500),
            pushesMetrics ? meterProvider!.forceFlush() : undefined,
          ]);
          // Requests that finished while the first flush ran.
          await Promise.allSettled([tracerProvider?.forceFlush(), logExport?.forceFlush()]);
        }, diag),
      );
    }

    let metricsEndpoint: string | undefined;
    if (prometheus !== undefined && config.prometheusListener !== undefined) {
      prometheus.listen(config.prometheusListener, diag);
      metricsEndpoint = `http://${config.prometheusListener.host}:${config.prometheusListener.port}${METRICS_PATH}`;
    } else if (prometheus !== undefined) {
      metricsEndpoint = `${METRICS_PATH} on the app's own port`;
    }

    return {
      started: true,
      metricsEndpoint,
      rerouteOtelWarning(msg) {
        if (!/maxQueueSize/.test(msg)) return false;
        reportSpanExportTrouble(`the export queue (${BATCH_OPTIONS.maxQueueSize} spans) is full`);
        return true;
      },
      async shutdown() {
        await Promise.allSettled([tracerProvider?.shutdown(), meterProvider?.shutdown(), logExport?.shutdown(), prometheus?.close(), sentry?.flush(SHUTDOWN_FLUSH_MS)]);
      },
    };
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // keep undoing the rest
      }
    }
    throw err;
  }
}
