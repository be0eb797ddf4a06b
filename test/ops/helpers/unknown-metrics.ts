import { readFileSync } from 'node:fs';
import { dashboardExprs, type DashboardJson } from './dashboard-exprs.js';
import { KNOWN_METRICS } from './known-metrics.js';
import { metricNamesIn } from './promql-metrics.js';
import { rulesInText, seriesInText } from './rules-text.js';

/** A metric a rule or panel queries that no service exports. */
export interface UnknownMetric {
  file: string;
  metric: string;
  expr: string;
}

/** The metrics in `exprs` (from `file`) that the services do not export. */
export function unknownMetricsIn(file: string, exprs: string[]): UnknownMetric[] {
  return exprs.flatMap((expr) =>
    metricNamesIn(expr)
      .filter((metric) => !KNOWN_METRICS.has(metric))
      .map((metric) => ({ file, metric, expr })),
  );
}

/**
 * The unknown metrics of a dashboard (`.json`) or a rules file: its rules' expressions
 * and, in a promtool unit-test file, its input series.
 */
export function unknownMetricsInFile(path: string): UnknownMetric[] {
  const text = readFileSync(path, 'utf8');
  const exprs = path.endsWith('.json')
    ? dashboardExprs(JSON.parse(text) as DashboardJson).map((e) => e.expr)
    : [...rulesInText(text).map((r) => r.expr), ...seriesInText(text)];
  return unknownMetricsIn(path, exprs);
}
