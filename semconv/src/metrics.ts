/**
 * Metric names, label keys, label values and bucket lists, exactly as the
 * dashboards and alert rules query them (the metric table of the README).
 *
 * The names are the final Prometheus names: the in-process Prometheus exporter
 * adds no unit suffix and appends `_total` only when it is missing, so these
 * strings are what a scrape shows.
 */

/** Label key: HTTP request method (`GET`, `POST`, ... or `_OTHER`). */
export const LABEL_METHOD = 'method';
/** Label key: matched Hono route pattern, never the raw path. */
export const LABEL_ROUTE = 'route';
/** Label key: HTTP response status code, as a decimal string. */
export const LABEL_STATUS_CODE = 'status_code';
/** Label key: settlement outcome. */
export const LABEL_STATUS = 'status';
/** Label key: settlement type. */
export const LABEL_TYPE = 'type';

/** The one `route` value of every request that matched no registered route. */
export const ROUTE_UNMATCHED = 'unmatched';

/** HTTP methods kept as label values; any other method is recorded as `METHOD_OTHER`. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
/** The `method` value of a request whose method is not in `HTTP_METHODS` (as OpenTelemetry's semantic conventions do). */
export const METHOD_OTHER = '_OTHER';
export type HttpMethod = (typeof HTTP_METHODS)[number] | typeof METHOD_OTHER;

/** Settlement outcomes (`status` label). */
export const SETTLEMENT_STATUSES = ['success', 'failure', 'pending'] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];

/** Settlement types (`type` label). */
export const SETTLEMENT_TYPES = ['paywall', 'subscription', 'direct'] as const;
export type SettlementType = (typeof SETTLEMENT_TYPES)[number];

/** Bucket upper bounds for HTTP request durations, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Bucket upper bounds for settlement durations, in seconds. */
export const SETTLEMENT_DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

/** Histogram of HTTP server request durations. */
export const METRIC_HTTP_REQUEST_DURATION = {
  name: 'http_request_duration_seconds',
  description: 'Duration of HTTP requests in seconds',
  labels: [LABEL_METHOD, LABEL_ROUTE, LABEL_STATUS_CODE],
  buckets: HTTP_DURATION_BUCKETS,
} as const;

/** Counter of HTTP server requests. */
export const METRIC_HTTP_REQUESTS = {
  name: 'http_requests_total',
  description: 'Total number of HTTP requests',
  labels: [LABEL_METHOD, LABEL_ROUTE, LABEL_STATUS_CODE],
} as const;

/** Counter of settlements by outcome and type. */
export const METRIC_SETTLEMENTS = {
  name: 'twinkle_settlements_total',
  description: 'Total number of settlement operations',
  labels: [LABEL_STATUS, LABEL_TYPE],
} as const;

/** Histogram of settlement durations by outcome. */
export const METRIC_SETTLEMENT_DURATION = {
  name: 'twinkle_settlement_duration_seconds',
  description: 'Duration of settlement operations in seconds',
  labels: [LABEL_STATUS],
  buckets: SETTLEMENT_DURATION_BUCKETS,
} as const;

/*
 * Runtime metrics. Names and help texts are prom-client's default metrics of the
 * same names, and so is what they measure.
 */

/** Counter: user CPU time, seconds (process.cpuUsage().user). */
export const METRIC_PROCESS_CPU_USER = {
  name: 'process_cpu_user_seconds_total',
  description: 'Total user CPU time spent in seconds.',
} as const;

/** Counter: system CPU time, seconds (process.cpuUsage().system). */
export const METRIC_PROCESS_CPU_SYSTEM = {
  name: 'process_cpu_system_seconds_total',
  description: 'Total system CPU time spent in seconds.',
} as const;

/** Gauge: resident set size, bytes. */
export const METRIC_PROCESS_RESIDENT_MEMORY = {
  name: 'process_resident_memory_bytes',
  description: 'Resident memory size in bytes.',
  /** How a scrape of several processes on one port combines it: the group holds the sum. */
  cluster: 'sum',
} as const;

/** Gauge: process heap size, bytes (VmData on Linux, as prom-client reads it). */
export const METRIC_PROCESS_HEAP = {
  name: 'process_heap_bytes',
  description: 'Process heap size in bytes.',
  /** How a scrape of several processes on one port combines it: the group holds the sum. */
  cluster: 'sum',
} as const;

/** Gauge: event loop lag, seconds, measured with setImmediate at scrape time. */
export const METRIC_EVENTLOOP_LAG = {
  name: 'nodejs_eventloop_lag_seconds',
  description: 'Lag of event loop in seconds.',
  /** How a scrape of several processes on one port combines it: the worst worker is what a request can meet. */
  cluster: 'max',
} as const;

/** Gauge: number of active libuv handles. */
export const METRIC_ACTIVE_HANDLES = {
  name: 'nodejs_active_handles_total',
  description: 'Total number of active handles.',
  /** How a scrape of several processes on one port combines it: the group holds the sum. */
  cluster: 'sum',
} as const;

/** Gauge: number of active libuv requests. */
export const METRIC_ACTIVE_REQUESTS = {
  name: 'nodejs_active_requests_total',
  description: 'Total number of active requests.',
  /** How a scrape of several processes on one port combines it: the group holds the sum. */
  cluster: 'sum',
} as const;

/** Every metric family the agent exposes, in the README's order. */
export const ALL_METRICS = [
  METRIC_HTTP_REQUEST_DURATION,
  METRIC_HTTP_REQUESTS,
  METRIC_SETTLEMENTS,
  METRIC_SETTLEMENT_DURATION,
  METRIC_PROCESS_CPU_USER,
  METRIC_PROCESS_CPU_SYSTEM,
  METRIC_PROCESS_RESIDENT_MEMORY,
  METRIC_PROCESS_HEAP,
  METRIC_EVENTLOOP_LAG,
  METRIC_ACTIVE_HANDLES,
  METRIC_ACTIVE_REQUESTS,
] as const;

/** Label key: the process id of one worker of a group that shares a port (node:cluster, pm2 cluster mode). */
export const LABEL_PID = 'pid';
/** Label key: what became of the workers a cluster scrape counts. */
export const LABEL_WORKER_STATE = 'state';
/** `state` values of `twinkle_cluster_workers`. */
export const WORKER_STATES = ['answered', 'missing', 'exited'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/**
 * Gauge, only in the scrape of a group of processes sharing one port: how many workers
 * it counts, by state: `answered` (their counts are current), `missing` (alive but did
 * not answer within the bound: their counters and buckets as of their last answer, no
 * gauges), `exited` (gone: what they had counted when last asked is kept).
 */
export const METRIC_CLUSTER_WORKERS = {
  name: 'twinkle_cluster_workers',
  description: 'Workers of this process group counted by this scrape, by state.',
  labels: [LABEL_WORKER_STATE],
} as const;

/** Gauge, only in a cluster scrape: 1 for each live worker that answered it, 0 for one that did not within the bound. */
export const METRIC_CLUSTER_WORKER_UP = {
  name: 'twinkle_cluster_worker_up',
  description: 'Whether this live worker answered the scrape in time (1) or is left out of it (0).',
  labels: [LABEL_PID],
} as const;

/** The families a scrape adds when several processes share one port. */
export const CLUSTER_METRICS = [METRIC_CLUSTER_WORKERS, METRIC_CLUSTER_WORKER_UP] as const;
