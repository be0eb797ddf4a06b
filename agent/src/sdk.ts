/**
 * The agent's composition root: one OpenTelemetry setup made of one set-up per signal
 * (signals/: traces, metrics, logs, errors), each owning its start, its flush and its
 * shutdown, imported one by one rather than through `@opentelemetry/sdk-node` (which
 * loads every exporter it might use and costs ~240 ms of start-up). Then the
 * instrumentations, the HTTP server instrumentation, and what happens when the process
 * ends (process-exit.ts). If any step throws, what was installed is undone and the error
 * is rethrown, so the caller can leave the app uninstrumented.
 */
import { context, createNoopMeter, propagation, type MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { publishOpenSettlements } from './agent-globals.js';
import type { AgentConfig } from './config.js';
import type { AgentDiag } from './diag.js';
import { createInstrumentations } from './instrumentations/index.js';
import type { BuiltInInstrumentation } from './instrumentations/switches.js';
import { METRICS_PATH } from './metrics/prometheus.js';
import { installExitHandlers, SIGNAL_FLUSH_MS } from './process-exit.js';
import { createResource } from './resource.js';
import { installServerInstrumentation } from './server/http-server-instrumentation.js';
import { RequestContextManager } from './server/request-context-manager.js';
import { startErrors } from './signals/errors.js';
import { isSendingLogs, startLogs } from './signals/logs.js';
import { startMetrics } from './signals/metrics.js';
import type { SignalSetup, UndoSteps } from './signals/signal-setup.js';
import { isTracing, startTraces } from './signals/traces.js';

export { isSendingLogs } from './signals/logs.js';
export { isTracing } from './signals/traces.js';

/** A started (or never started) agent. */
export interface AgentHandle {
  readonly started: boolean;
  /** Where `/metrics` is answered, for the start-up line. */
  readonly metricsEndpoint: string | undefined;
  /** Takes over OpenTelemetry warnings the agent reports in its own words (see bridgeOtelDiag). */
  rerouteOtelWarning(msg: string): boolean;
  /** Flushes and stops every signal; never rejects. */
  shutdown(): Promise<void>;
  /** Calls `callback` once, when the process first serves HTTP (its first server listens). */
  whenServing(callback: () => void): void;
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

/** Which instrumentations run (instrumentations/switches.ts); by default the built-in set. */
export interface InstrumentationChoice {
  readonly enabled?: ReadonlySet<BuiltInInstrumentation>;
  readonly contrib?: readonly Instrumentation[];
}

/** Starts the agent. Throws only after undoing whatever it had installed. */
export function startAgent(config: AgentConfig, diag: AgentDiag, choice: InstrumentationChoice = {}): AgentHandle {
  const taken = registeredOtelGlobals();
  if (taken.length > 0) throw new Error(`another OpenTelemetry setup is already registered (${taken.join(', ')})`);
  const undo: UndoSteps = [];
  let serving = false;
  let onServing: (() => void) | undefined;
  try {
    const tracing = isTracing(config);
    const resource = createResource(config, tracing || config.metricsExporter === 'otlp' || isSendingLogs(config));
    const logs = startLogs(config, resource, diag, undo);
    const contextManager = new RequestContextManager();
    context.setGlobalContextManager(contextManager.enable());
    undo.push(() => context.disable());
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    undo.push(() => propagation.disable());
    const traces = startTraces(config, resource, diag, undo);
    const metrics = startMetrics(config, resource, tracing, diag, undo);
    const errors = startErrors(config, diag);

    undo.push(
      registerInstrumentations({
        instrumentations: createInstrumentations({
          tracing,
          logSending: isSendingLogs(config),
          enabled: choice.enabled,
          contrib: choice.contrib,
          reservedPaths: metrics.serveOnAppPort !== undefined ? [METRICS_PATH] : [],
          onReservedRoute: (method, path) =>
            diag.warnOnce(
              `reserved ${path}`,
              `the app registers ${method} ${path}; the agent answers ${path} before the app sees it (set OTEL_EXPORTER_PROMETHEUS_PORT to serve metrics on their own port and give ${path} back to the app)`,
            ),
        }),
        tracerProvider: traces?.provider,
        meterProvider: NOOP_METER_PROVIDER,
      }),
    );
    undo.push(
      installServerInstrumentation({
        metrics: metrics.http,
        tracer: traces?.serverTracer,
        contextManager,
        // A request's context is entered only when something can read it.
        needsContext: () => tracing || errors !== undefined || logs.loggerTaken(),
        serveMetrics: metrics.serveOnAppPort,
        metricsPath: METRICS_PATH,
        accessLog: logs.loggers.accessLog,
        onServerError: errors?.reporter.captureServerError,
        onFirstListening: () => {
          serving = true;
          onServing?.();
        },
      }),
    );

    const setups: SignalSetup[] = [logs, metrics, ...(traces ? [traces] : []), ...(errors ? [errors] : [])];
    // Log lines that wait, spans, records, events and pushed metrics leave before the
    // process ends (when it is terminated, and when it runs out of work).
    const sending = setups.filter((s) => s.sends);
    if (sending.length > 0) publishOpenSettlements();
    undo.push(installExitHandlers(sending, diag, { signalTimeoutMs: SIGNAL_FLUSH_MS, exitTimeoutMs: config.exitFlushTimeoutMs }));

    return {
      started: true,
      metricsEndpoint: metrics.endpoint,
      rerouteOtelWarning: (msg) => traces?.rerouteOtelWarning(msg) ?? false,
      async shutdown() {
        await Promise.allSettled(setups.map((s) => s.shutdown(SIGNAL_FLUSH_MS)));
      },
      whenServing(callback) {
        if (serving) callback();
        else onServing = callback;
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
