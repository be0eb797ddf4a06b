/**
 * The SDK's batch span processor bounds, for the exporters that use it (OTLP JSON,
 * console). A full queue drops spans rather than growing the heap. Each batch is
 * serialised in one go on the event loop, so its size sets the longest pause an export
 * adds to request latency: 128 spans keep that near 1 ms where 512 cost ~4 ms
 * (measured with monitorEventLoopDelay under load).
 */
export const BATCH_OPTIONS = { maxQueueSize: 2048, maxExportBatchSize: 128, scheduledDelayMillis: 500 } as const;

/**
 * The agent's OTLP protobuf processor encodes each span as it ends, so a batch costs no
 * pause when it leaves and can be larger: fewer, bigger requests. At most 30 batches are
 * in flight (OpenTelemetry's export concurrency limit), so a hanging collector holds at
 * most ~30 x 1 MiB.
 */
export const ENCODED_BATCH_OPTIONS = { maxBatchSpans: 512, maxBatchBytes: 1024 * 1024, delayMs: 500 } as const;
