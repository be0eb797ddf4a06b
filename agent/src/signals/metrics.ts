/**
 * Metrics: the HTTP server metrics the agent keeps itself, the settlement exemplars, the
 * runtime metrics, and the reader they are collected by: Prometheus (`/metrics` on the
 * app's port or a listener of its own) or OTLP push.
 */
import { metrics } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, InstrumentType, MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { INSTRUMENTATION_SCOPE, METRIC_HTTP_REQUEST_DURATION, METRIC_SETTLEMENT_DURATION } from '@twinkle/semconv';
import { publishSettlementExemplars } from '../agent-globals.js';
import type { AgentConfig } from '../config.js';
import type { AgentDiag } from '../diag.js';
import { createHttpServerMetrics, type HttpServerMetrics } from '../metrics/http.js';
import { createOtlpMetricReader } from '../metrics/metric-reader.js';
import type { ExemplarLookup } from '../metrics/openmetrics.js';
import { createPrometheusEndpoint, METRICS_PATH, type PrometheusEndpoint } from '../metrics/prometheus.js';
import { joinWorkerGroup } from '../cluster/join-worker-group.js';
import { registerRuntimeMetrics } from '../metrics/runtime/index.js';
import { createSettlementExemplars } from '../metrics/settlement-exemplars.js';
import { withoutCredentials } from '../scrub.js';
import { VERSION } from '../version.js';
import type { SignalSetup, UndoSteps } from './signal-setup.js';

/** The running metrics. */
export interface MetricsSetup extends SignalSetup {
  /** The HTTP server histogram and counter; undefined with `OTEL_METRICS_EXPORTER=none`. */
  readonly http: HttpServerMetrics | undefined;
  /** Answers a scrape, when `/metrics` is served on the app's own port. */
  readonly serveOnAppPort: PrometheusEndpoint['serve'] | undefined;
  /** Where `/metrics` is answered, for the start-up line. */
  readonly endpoint: string | undefined;
}

/** Starts metrics; `tracing` says whether exemplars can point at exported traces. */
export function startMetrics(config: AgentConfig, resource: Resource, tracing: boolean, diag: AgentDiag, undo: UndoSteps): MetricsSetup {
  if (config.metricsExporter === 'none') return { ...NOTHING_TO_SEND, http: undefined, serveOnAppPort: undefined, endpoint: undefined };
  let reader: IMetricReader | undefined;
  // The HTTP metrics are kept by the agent and collected through the reader, in the
  // temporality the reader asks for (Prometheus: cumulative).
  const temporality = (): AggregationTemporality =>
    reader?.selectAggregationTemporality(InstrumentType.HISTOGRAM) ?? AggregationTemporality.CUMULATIVE;
  // Exemplars are written only into OpenMetrics scrapes, and come only from sampled spans.
  const exemplarInterval =
    tracing && config.metricsExporter === 'prometheus' && config.exemplarFilter === 'trace_based' ? config.exemplarIntervalMs : undefined;
  const http = createHttpServerMetrics(temporality, exemplarInterval);
  let prometheus: PrometheusEndpoint | undefined;
  let exemplars: ExemplarLookup = () => undefined;
  if (config.metricsExporter === 'prometheus') {
    const settlementExemplars = exemplarInterval === undefined ? undefined : createSettlementExemplars(exemplarInterval);
    if (settlementExemplars !== undefined) publishSettlementExemplars(settlementExemplars);
    exemplars = (name, attributes) => {
      if (name === METRIC_HTTP_REQUEST_DURATION.name) return http.exemplarsOf(attributes);
      if (name === METRIC_SETTLEMENT_DURATION.name) return settlementExemplars?.exemplarsOf(attributes);
      return undefined;
    };
    prometheus = createPrometheusEndpoint([http.producer], exemplars);
    reader = prometheus.exporter;
  } else {
    reader = createOtlpMetricReader(config, [http.producer], (reason) =>
      diag.warnOnce(
        'metric export',
        `metric export to ${withoutCredentials(config.metricsUrl)} failed: ${reason}; metrics are pushed again at the next interval (not logged again)`,
      ),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  undo.push(() => metrics.disable());
  registerRuntimeMetrics(meterProvider.getMeter(INSTRUMENTATION_SCOPE, VERSION));

  // Workers sharing a port (node:cluster, pm2 cluster mode) each answer a scrape for the whole group.
  if (prometheus !== undefined) joinWorkerGroup(config, resource, prometheus, exemplars, diag, undo);

  let endpoint: string | undefined;
  if (prometheus !== undefined && config.prometheusListener !== undefined) {
    prometheus.listen(config.prometheusListener, diag);
    endpoint = `http://${config.prometheusListener.host}:${config.prometheusListener.port}${METRICS_PATH}`;
  } else if (prometheus !== undefined) {
    endpoint = `${METRICS_PATH} on the app's own port`;
  }
  // A pull reader has nothing to send; a push reader sends the last values once at exit.
  const pushes = prometheus === undefined;
  return {
    http,
    serveOnAppPort: prometheus !== undefined && config.prometheusListener === undefined ? prometheus.serve : undefined,
    endpoint,
    sends: pushes,
    activity: () => (pushes ? 1 : 0),
    flush: () => (pushes ? meterProvider.forceFlush().catch(() => {}) : Promise.resolve()),
    shutdown: async () => {
      await Promise.allSettled([meterProvider.shutdown(), prometheus?.close()]);
    },
  };
}

const NOTHING_TO_SEND: SignalSetup = {
  sends: false,
  activity: () => 0,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
