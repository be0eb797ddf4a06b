import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
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

/** Creates `http_request_duration_seconds` and `http_requests_total` on `meter`. */
export function createHttpServerMetrics(meter: Meter): HttpServerMetrics {
  const duration: Histogram = meter.createHistogram(METRIC_HTTP_REQUEST_DURATION.name, {
    description: METRIC_HTTP_REQUEST_DURATION.description,
    advice: { explicitBucketBoundaries: [...METRIC_HTTP_REQUEST_DURATION.buckets] },
  });
  const requests: Counter = meter.createCounter(METRIC_HTTP_REQUESTS.name, {
    description: METRIC_HTTP_REQUESTS.description,
  });
  return {
    record(method, route, statusCode, seconds) {
      const attributes: Attributes = {
        [LABEL_METHOD]: normalizeMethod(method),
        [LABEL_ROUTE]: route,
        [LABEL_STATUS_CODE]: String(statusCode),
      };
      duration.record(seconds, attributes);
      requests.add(1, attributes);
    },
  };
}

/** Keeps the method label bounded: unknown methods become `_OTHER`. */
export function normalizeMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : METHOD_OTHER;
}
