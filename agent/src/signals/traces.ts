/**
 * Traces: the tracer provider (and the agent's own server tracer) for the configured
 * exporter and sampler, registered globally; export trouble said once; fetch's JSON-RPC
 * span names. Nothing of the trace SDK loads when spans go nowhere.
 */
import { trace } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../config.js';
import type { AgentDiag } from '../diag.js';
import { patchFetchForJsonRpc } from '../instrumentations/json-rpc/json-rpc.js';
import { withoutCredentials } from '../scrub.js';
import { BATCH_OPTIONS } from '../tracing/batch-options.js';
import type { LeanTracer } from '../tracing/lean-tracer.js';
import type { SignalSetup, UndoSteps } from './signal-setup.js';

/** Whether spans go anywhere: without an exporter, nothing that only makes spans is loaded. */
export function isTracing(config: Pick<AgentConfig, 'tracesExporter'>): boolean {
  return config.tracesExporter !== 'none';
}

/** The running traces. */
export interface TracesSetup extends SignalSetup {
  /** For instrumentations and the app (`trace.getTracer`). */
  readonly provider: TracerProvider;
  /** For the agent's own server spans. */
  readonly serverTracer: LeanTracer;
  /** Takes over OpenTelemetry warnings the agent reports in its own words (see bridgeOtelDiag). */
  rerouteOtelWarning(msg: string): boolean;
}

/** Starts traces, or returns undefined with `OTEL_TRACES_EXPORTER=none`. */
export function startTraces(config: AgentConfig, resource: Resource, diag: AgentDiag, undo: UndoSteps): TracesSetup | undefined {
  if (!isTracing(config)) return undefined;
  const reportExportTrouble = (reason: string): void =>
    diag.warnOnce(
      'span export',
      `span export to ${withoutCredentials(config.tracesUrl)} failed: ${reason}; spans are dropped while it fails (not logged again)`,
    );
  const unencodable = new DropReport(diag);
  const { createTracing } = require('../tracing/tracer-provider.js') as typeof import('../tracing/tracer-provider.js');
  const tracing = createTracing(config, resource, {
    onExportFailure: reportExportTrouble,
    onEncodeFailure: (err) => unencodable.dropped(err),
  })!;
  trace.setGlobalTracerProvider(tracing.provider);
  undo.push(() => trace.disable());
  // An exporter that refuses or hangs fails every batch, and then the bounded queue
  // overflows: both are one problem, said once.
  setGlobalErrorHandler((err) => reportExportTrouble(err instanceof Error ? err.message : String(err)));
  undo.push(patchFetchForJsonRpc());
  return {
    provider: tracing.provider,
    serverTracer: tracing.serverTracer,
    sends: true,
    activity: tracing.ended,
    flush: async () => {
      await tracing.flush().catch(() => {});
      unencodable.sayRest();
    },
    shutdown: async () => {
      await tracing.provider.shutdown().catch(() => {});
      unencodable.sayRest();
    },
    rerouteOtelWarning(msg) {
      if (!/maxQueueSize/.test(msg)) return false;
      reportExportTrouble(`the export queue (${BATCH_OPTIONS.maxQueueSize} spans) is full`);
      return true;
    },
  };
}

/** How often the count of spans that could not be encoded is said, after the first. */
const DROP_REPORT_INTERVAL_MS = 60_000;

/**
 * Says that spans could not be encoded: the first at once, with its reason; later ones
 * counted and said at most once a minute (when the next one comes) and when the process ends.
 */
class DropReport {
  private count = 0;
  private said = 0;
  private saidAt = 0;

  constructor(private readonly diag: AgentDiag) {}

  dropped(err: unknown): void {
    this.count++;
    if (this.count === 1) {
      const reason = err instanceof Error ? err.message : String(err);
      this.diag.warn(`a span could not be encoded for export and was dropped (the other spans of its batch were sent): ${reason}; later ones are counted`);
      this.said = 1;
      this.saidAt = Date.now();
    } else if (Date.now() - this.saidAt >= DROP_REPORT_INTERVAL_MS) this.sayRest();
  }

  /** Says how many were dropped since it last said so. */
  sayRest(): void {
    if (this.count === this.said) return;
    this.diag.warn(`${this.count - this.said} more span(s) could not be encoded for export and were dropped (${this.count} in all)`);
    this.said = this.count;
    this.saidAt = Date.now();
  }
}
