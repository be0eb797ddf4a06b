import { ALL_METRICS } from '@twinkle/semconv';

/** Series every Prometheus scrape adds itself, and our rules query. */
const SCRAPE_SERIES = ['up'];

/**
 * Every metric name the services export: semconv's names, each histogram's
 * `_bucket`, `_sum` and `_count` series, and Prometheus' own `up`.
 */
export const KNOWN_METRICS: ReadonlySet<string> = new Set([
  ...ALL_METRICS.flatMap((metric) =>
    'buckets' in metric ? ['_bucket', '_sum', '_count'].map((suffix) => `${metric.name}${suffix}`) : [metric.name],
  ),
  ...SCRAPE_SERIES,
]);
