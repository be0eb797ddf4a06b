import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

/** An exporter as the SDK's processors and readers call it. */
interface Exporter<T> {
  export(items: T, done: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * `exporter`, answering the SDK at once: the batch is handed to the agent's export
 * delegate, which bounds the exports in flight and holds nothing that keeps the process
 * alive, and the SDK's processor (or metric reader) is told it is done. The SDK keeps a
 * timer that is not unref'd for as long as an export has not answered (sdk-trace's
 * BatchSpanProcessorBase, sdk-logs' BatchLogRecordProcessorBase, sdk-metrics'
 * callWithTimeout), which would hold a process that ends on its own for the whole
 * export timeout. A failure is reported to `onFailure` (for the agent to say once)
 * instead of to the SDK; `forceFlush()` waits for the exports in flight.
 */
export function detachExports<T, E extends Exporter<T>>(exporter: E, onFailure: (reason: string) => void): E {
  const detached: Exporter<T> = {
    export(items, done) {
      try {
        exporter.export(items, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) onFailure(result.error?.message ?? 'the export failed');
        });
      } catch (err) {
        onFailure(err instanceof Error ? err.message : String(err));
      }
      done({ code: ExportResultCode.SUCCESS });
    },
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    shutdown: () => exporter.shutdown(),
  };
  // What else the SDK asks of it (a metric exporter's temporality and aggregation).
  return new Proxy(exporter, {
    get(target, key) {
      if (key === 'export' || key === 'forceFlush' || key === 'shutdown') return detached[key];
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
