/**
 * Batch span processor bounds. A full queue drops spans rather than growing the heap.
 * Each batch is serialised in one go on the event loop, so its size sets the longest
 * pause an export adds to request latency: 128 spans keep that near 1 ms on this
 * machine where 512 cost ~4 ms (measured with monitorEventLoopDelay under load).
 */
export const BATCH_OPTIONS = { maxQueueSize: 2048, maxExportBatchSize: 128, scheduledDelayMillis: 500 } as const;
