/** Batch span processor bounds: a full queue drops spans rather than growing the heap. */
export const BATCH_OPTIONS = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000 } as const;
