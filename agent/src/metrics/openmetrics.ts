import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Exemplar } from './exemplar-slots.js';

/** The exemplars (one per bucket, `+Inf` last) of the histogram series `name` with `attributes`, if it keeps any. */
export type ExemplarLookup = (name: string, attributes: Attributes) => ReadonlyArray<Exemplar | undefined> | undefined;

/**
 * Writes collected metrics in the OpenMetrics 1.0 text format, with exemplars on histogram
 * buckets. Names, labels, values and buckets are those `PrometheusSerializer` writes in the
 * text format 0.0.4 with the agent's settings (no prefix, no timestamps, no `target_info`,
 * no scope labels): the same sanitising of names, `_total` appended to monotonic sums, the
 * same label order and value strings. What OpenMetrics asks differently:
 * - a counter's family (`# HELP`/`# TYPE`) is named without `_total`, its sample with it;
 * - the two gauges whose names end in `_total` stay gauges of the same name (Prometheus'
 *   OpenMetrics parser takes them as such: see the README);
 * - `# HELP` escapes `"` too; the text ends with `# EOF`;
 * - a bucket's exemplar follows it: `# {trace_id="…",span_id="…"} <value> <seconds>`.
 */
export function serializeOpenMetrics(resourceMetrics: ResourceMetrics, exemplars: ExemplarLookup): string {
  let out = '';
  for (const [name, metrics] of families(resourceMetrics)) {
    const first = metrics[0];
    const type = openMetricsType(first, name);
    const family = type === 'counter' ? name.slice(0, -'_total'.length) : name;
    out += `# HELP ${family} ${escapeHelp(first.descriptor.description || 'description missing')}\n# TYPE ${family} ${type}\n`;
    for (const metric of metrics) {
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        for (const point of metric.dataPoints) out += histogramLines(name, point, exemplars(metric.descriptor.name, point.attributes));
      } else {
        for (const point of metric.dataPoints as Array<DataPoint<number>>) out += `${name}${labels(point.attributes)} ${valueString(point.value)}\n`;
      }
    }
  }
  return `${out}# EOF\n`;
}

/** Metrics grouped by their Prometheus name in order of first appearance; a name given two types is dropped, as PrometheusSerializer drops it. */
function families(resourceMetrics: ResourceMetrics): Map<string, MetricData[]> {
  const byName = new Map<string, MetricData[] | undefined>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) continue;
      const name = prometheusName(metric);
      if (name === undefined) continue;
      if (!byName.has(name)) byName.set(name, [metric]);
      else {
        const list = byName.get(name);
        if (list === undefined) continue;
        if (prometheusType(list[0]) !== prometheusType(metric)) byName.set(name, undefined);
        else list.push(metric);
      }
    }
  }
  const out = new Map<string, MetricData[]>();
  for (const [name, list] of byName) if (list !== undefined) out.set(name, list);
  return out;
}

function histogramLines(name: string, point: DataPoint<unknown>, slots: ReadonlyArray<Exemplar | undefined> | undefined): string {
  const histogram = point.value as Histogram;
  const base = labelPairs(point.attributes);
  const sep = base === '' ? '' : ',';
  let out = '';
  let cumulative = 0;
  const { boundaries, counts } = histogram.buckets;
  for (let i = 0; i < counts.length; i++) {
    const upper = boundaries[i];
    if (upper === undefined && i > 0 && boundaries[i - 1] === Infinity) break;
    cumulative += counts[i];
    const le = upper === undefined || upper === Infinity ? '+Inf' : String(upper);
    out += `${name}_bucket{${base}${sep}le="${le}"} ${valueString(cumulative)}${exemplarText(slots?.[i])}\n`;
  }
  out += `${name}_count${labels(point.attributes)} ${valueString(histogram.count)}\n`;
  if (histogram.sum !== undefined) out += `${name}_sum${labels(point.attributes)} ${valueString(histogram.sum)}\n`;
  return out;
}

function exemplarText(exemplar: Exemplar | undefined): string {
  if (exemplar === undefined) return '';
  return ` # {trace_id="${exemplar.traceId}",span_id="${exemplar.spanId}"} ${valueString(exemplar.value)} ${(exemplar.timeMs / 1000).toFixed(3)}`;
}

function openMetricsType(metric: MetricData, name: string): string {
  const type = prometheusType(metric);
  // A monotonic sum's name always ends in `_total` (prometheusName), so its family has a name.
  if (type === 'counter' && !name.endsWith('_total')) return 'unknown';
  return type;
}

/** PrometheusSerializer's `toPrometheusType`. */
function prometheusType(metric: MetricData): string {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? 'counter' : 'gauge';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    default:
      return 'unknown';
  }
}

const INVALID = /[^a-z0-9_]/gi;
const REPEATED_UNDERSCORES = /_{2,}/g;

function sanitize(name: string): string {
  return name.replace(INVALID, '_').replace(REPEATED_UNDERSCORES, '_');
}

/** PrometheusSerializer's name: sanitised, `_` before a leading digit, `_total` on monotonic sums. */
function prometheusName(metric: MetricData): string | undefined {
  let name = sanitize(metric.descriptor.name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n'));
  if (name === '' || name === '_') return undefined;
  if (name[0] >= '0' && name[0] <= '9') name = `_${name}`;
  if (!name.endsWith('_total') && metric.dataPointType === DataPointType.SUM && metric.isMonotonic) name += '_total';
  return name;
}

function labelPairs(attributes: Attributes): string {
  let out = '';
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    const str = typeof value === 'string' ? value : JSON.stringify(value);
    out += `${out === '' ? '' : ','}${sanitize(key)}="${escapeLabel(str ?? '')}"`;
  }
  return out;
}

function labels(attributes: Attributes): string {
  const pairs = labelPairs(attributes);
  return pairs === '' ? '' : `{${pairs}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return escapeLabel(value);
}

function valueString(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}
