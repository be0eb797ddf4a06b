import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import {
  HTTP_METHODS,
  LABEL_METHOD,
  LABEL_ROUTE,
  LABEL_STATUS_CODE,
  METHOD_OTHER,
  METRIC_HTTP_REQUEST_DURATION,
  METRIC_HTTP_REQUESTS,
} from '@twinkle/semconv';

const KNOWN_METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

/** The fixed-name HTTP server histogram and counter of DESIGN.md's metric table. */
export interface HttpServerMetrics {
  /** Records one finished request. `route` is a registered pattern or ROUTE_UNMATCHED. */
  record(method: string, route: string, statusCode: number, seconds: number): void;
}

/** One label set seen so far: its attributes object (reused for every record) and its request count. */
interface Series {
  readonly attributes: Attributes;
  count: number;
}

/**
 * Creates `http_request_duration_seconds` and `http_requests_total` on `meter`.
 *
 * Every request is one histogram record. The counter is an observable counter over the
 * counts kept per label set here: a second synchronous instrument would hash the same
 * attributes again on every request (sort + JSON in sdk-metrics), measured at ~3% of a
 * bare Hono server's CPU. The label sets are bounded (route patterns x methods x status
 * codes), and each one's attributes object is built once and reused.
 */
export function createHttpServerMetrics(meter: Meter): HttpServerMetrics {
  const duration: Histogram = meter.createHistogram(METRIC_HTTP_REQUEST_DURATION.name, {
    description: METRIC_HTTP_REQUEST_DURATION.description,
    advice: { explicitBucketBoundaries: [...METRIC_HTTP_REQUEST_DURATION.buckets] },
  });
  const series = new Map<string, Series>();
  meter
    .createObservableCounter(METRIC_HTTP_REQUESTS.name, { description: METRIC_HTTP_REQUESTS.description })
    .addCallback(async (result) => {
      // Observe in the same turn of the event loop in which sdk-metrics then reads the
      // histogram: the event-loop-lag callback makes every collection wait for the
      // check phase, and requests finishing in between would leave this counter behind
      // the histogram's _count in one scrape.
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const s of series.values()) result.observe(s.count, s.attributes);
    });
  return {
    record(method, route, statusCode, seconds) {
      const label = normalizeMethod(method);
      const key = `${label} ${statusCode} ${route}`;
      let s = series.get(key);
      if (s === undefined) {
        s = {
          attributes: { [LABEL_METHOD]: label, [LABEL_ROUTE]: route, [LABEL_STATUS_CODE]: String(statusCode) },
          count: 0,
        };
        series.set(key, s);
      }
      s.count++;
      duration.record(seconds, s.attributes);
    },
  };
}

/** Keeps the method label bounded: unknown methods become `_OTHER`. */
export function normalizeMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : METHOD_OTHER;
}
