import { ValueType, type Attributes, type HrTime, type Span } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import {
  HTTP_METHODS,
  INSTRUMENTATION_SCOPE,
  LABEL_METHOD,
  LABEL_ROUTE,
  LABEL_STATUS_CODE,
  METHOD_OTHER,
  METRIC_HTTP_REQUEST_DURATION,
  METRIC_HTTP_REQUESTS,
} from '@twinkle/semconv';
import { VERSION } from '../version.js';
import { ExemplarSlots, type Exemplar } from './exemplar-slots.js';
import { HistogramPoint } from './histogram-point.js';

const METHOD_INDEX: ReadonlyMap<string, number> = new Map(HTTP_METHODS.map((m, i) => [m, i]));
const METHOD_SLOTS = HTTP_METHODS.length + 1;
const BOUNDARIES: readonly number[] = [...METRIC_HTTP_REQUEST_DURATION.buckets];
/**
 * The default cardinality limit of the OpenTelemetry metrics specification (and
 * sdk-metrics): at most 2000 series per metric, the last of them the overflow series
 * that label sets past the first 1999 share. Cumulative: the first 1999 label sets ever
 * recorded keep their series for the life of the process. Delta: each collection starts
 * afresh, the limit counting the label sets recorded since the last one.
 */
const CARDINALITY_LIMIT = 2000;
const OVERFLOW_ATTRIBUTES: Attributes = { 'otel.metric.overflow': true };

/** The fixed-name HTTP server histogram and counter of the README's metric table. */
export interface HttpServerMetrics {
  /**
   * Records one finished request. `route` is a registered pattern or ROUTE_UNMATCHED.
   * `span`, the request's server span, may take its bucket's exemplar slot (and is then
   * marked `twinkle.exemplar`), when exemplars are on.
   */
  record(method: string, route: string, statusCode: number, seconds: number, span?: Span): void;
  /** What a metric reader collects them through (`metricProducers`). */
  readonly producer: MetricProducer;
  /** The exemplars (one per bucket) of the histogram series a collected data point carries `attributes` of. */
  exemplarsOf(attributes: Attributes): ReadonlyArray<Exemplar | undefined> | undefined;
}

/** One label set: its attributes, built once, and its histogram (whose count is also the counter's value). */
interface Series {
  readonly attributes: Attributes;
  readonly point: HistogramPoint;
  /** One exemplar slot per bucket; absent when exemplars are off. */
  readonly exemplars: ExemplarSlots | undefined;
  /** Reported by the collection before the last one (a delta then starts where that one ended). */
  reportedLast: boolean;
}

/**
 * `http_request_duration_seconds` and `http_requests_total`, kept by the agent and handed
 * to the metrics SDK's reader as a `MetricProducer`, in the SDK's own data model. Through
 * the SDK's synchronous instruments every request paid for hashing its attributes
 * (sorting the keys and JSON.stringify, in sdk-metrics' AttributeHashMap), measured as
 * the largest single cost of the metrics-only mode on a service-shaped app; here a
 * request costs two map lookups on values the route instrumentation and Node already
 * hold, and the histogram arithmetic of the SDK (a test holds the collected data and the
 * Prometheus text equal to the SDK's). The counter is the histogram's count, so the two
 * always agree within one scrape. `temporality` is the reader's choice for both.
 */
export function createHttpServerMetrics(
  temporality: () => AggregationTemporality = () => AggregationTemporality.CUMULATIVE,
  /** The least time between two exemplars of one bucket; undefined: no exemplars. */
  exemplarIntervalMs?: number,
): HttpServerMetrics {
  // route -> (status code x method slot) -> series
  const byRoute = new Map<string, Map<number, Series>>();
  const all: Series[] = [];
  /** Label sets in the order of their first value since the last collection (a delta's order). */
  let recent: Series[] = [];
  let overflow: Series | undefined;
  /** Series other than the overflow one: ever made, and recorded since the last collection. */
  let regular = 0;
  let recentRegular = 0;
  /** Whether a label set without a series of its own goes to the overflow series (checked only near the limit). */
  const isFull = (): boolean =>
    regular >= CARDINALITY_LIMIT - 1 && (recentRegular >= CARDINALITY_LIMIT - 1 || temporality() !== AggregationTemporality.DELTA);
  let lastCollection: HrTime | undefined;
  /** The series of each data point's attributes object (the same object), for the exemplars of a scrape. */
  const byAttributes = new Map<Attributes, Series>();

  const newSeries = (attributes: Attributes): Series => {
    const exemplars = exemplarIntervalMs === undefined ? undefined : new ExemplarSlots(BOUNDARIES.length + 1, exemplarIntervalMs);
    const series = { attributes, point: new HistogramPoint(BOUNDARIES), exemplars, reportedLast: false };
    all.push(series);
    byAttributes.set(attributes, series);
    return series;
  };

  const seriesFor = (method: string, route: string, statusCode: number): Series => {
    let routes = byRoute.get(route);
    if (routes === undefined) {
      routes = new Map();
      byRoute.set(route, routes);
    }
    const slot = METHOD_INDEX.get(method) ?? HTTP_METHODS.length;
    const key = statusCode * METHOD_SLOTS + slot;
    let series = routes.get(key);
    if (series === undefined) {
      if (isFull()) return (overflow ??= newSeries(OVERFLOW_ATTRIBUTES));
      series = newSeries({
        [LABEL_METHOD]: slot < HTTP_METHODS.length ? method : METHOD_OTHER,
        [LABEL_ROUTE]: route,
        [LABEL_STATUS_CODE]: String(statusCode),
      });
      regular++;
      routes.set(key, series);
    } else if (series.point.pendingCount === 0 && recentRegular >= CARDINALITY_LIMIT - 1 && temporality() === AggregationTemporality.DELTA) {
      // A delta collection already holds as many label sets as the limit allows.
      return (overflow ??= newSeries(OVERFLOW_ATTRIBUTES));
    }
    return series;
  };

  const collect = (): MetricData[] => {
    // As sdk-metrics' MetricCollector: the collection's time is the wall clock's.
    const now = millisToHrTime(Date.now());
    const delta = temporality() === AggregationTemporality.DELTA;
    const aggregationTemporality = delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
    const histogramPoints: Array<DataPoint<Histogram>> = [];
    const counterPoints: Array<DataPoint<number>> = [];
    if (delta) for (const series of all) if (series.point.pendingCount === 0) series.reportedLast = false;
    for (const series of delta ? recent : all) {
      const p = series.point;
      if (p.startTime === undefined) continue;
      if (delta) {
        // Only label sets recorded since the last collection; one reported then starts
        // where that collection ended (sdk-metrics' TemporalMetricProcessor.calibrateStartTime).
        const reportedLast = series.reportedLast;
        series.reportedLast = true;
        const startTime = reportedLast && lastCollection !== undefined ? lastCollection : p.pendingStart!;
        const value = {
          min: p.pendingMin,
          max: p.pendingMax,
          sum: p.pendingSum,
          buckets: { boundaries: [...BOUNDARIES], counts: [...p.pendingCounts] },
          count: p.pendingCount,
        };
        histogramPoints.push({ attributes: series.attributes, startTime, endTime: now, value });
        counterPoints.push({ attributes: series.attributes, startTime, endTime: now, value: p.pendingCount });
      } else {
        p.mergePending();
        const value = {
          min: p.hasMinMax ? p.min : undefined,
          max: p.hasMinMax ? p.max : undefined,
          sum: p.sum,
          buckets: { boundaries: [...BOUNDARIES], counts: [...p.counts] },
          count: p.count,
        };
        histogramPoints.push({ attributes: series.attributes, startTime: p.startTime, endTime: now, value });
        counterPoints.push({ attributes: series.attributes, startTime: p.startTime, endTime: now, value: p.count });
      }
    }
    for (const series of recent) series.point.mergePending();
    recent = [];
    recentRegular = 0;
    lastCollection = now;
    if (histogramPoints.length === 0) return [];
    return [
      {
        descriptor: { name: METRIC_HTTP_REQUEST_DURATION.name, description: METRIC_HTTP_REQUEST_DURATION.description, unit: '', valueType: ValueType.DOUBLE },
        aggregationTemporality,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: histogramPoints,
      },
      {
        descriptor: { name: METRIC_HTTP_REQUESTS.name, description: METRIC_HTTP_REQUESTS.description, unit: '', valueType: ValueType.DOUBLE },
        aggregationTemporality,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: counterPoints,
      },
    ];
  };

  return {
    record(method, route, statusCode, seconds, span) {
      const series = seriesFor(method, route, statusCode);
      if (series.point.pendingCount === 0 && seconds >= 0) {
        recent.push(series);
        if (series !== overflow) recentRegular++;
      }
      const now = Date.now();
      const bucket = series.point.record(seconds, now);
      if (series.exemplars !== undefined && bucket >= 0) series.exemplars.offer(bucket, seconds, now, span);
    },
    exemplarsOf(attributes) {
      return byAttributes.get(attributes)?.exemplars?.exemplars;
    },
    producer: {
      async collect(): Promise<CollectionResult> {
        return {
          resourceMetrics: { resource: undefined as never, scopeMetrics: [{ scope: { name: INSTRUMENTATION_SCOPE, version: VERSION }, metrics: collect() }] },
          errors: [],
        };
      },
    },
  };
}

/** Keeps the method label bounded: unknown methods become `_OTHER`. */
export function normalizeMethod(method: string): string {
  return METHOD_INDEX.has(method) ? method : METHOD_OTHER;
}

