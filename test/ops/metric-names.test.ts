import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KNOWN_METRICS } from './helpers/known-metrics.js';
import { opsPath } from './helpers/paths.js';
import { metricNamesIn } from './helpers/promql-metrics.js';
import { unknownMetricsIn, unknownMetricsInFile } from './helpers/unknown-metrics.js';

describe('metricNamesIn', () => {
  it.each([
    ['sum(rate(http_requests_total{job="twinkle-api",status_code=~"5.."}[5m])) by (route)', ['http_requests_total']],
    ['histogram_quantile(0.95, sum by (le) (rate(twinkle_settlement_duration_seconds_bucket[$__rate_interval])))', ['twinkle_settlement_duration_seconds_bucket']],
    ['sum(rate(a_total[5m])) / sum(rate(b_total[5m] offset 1h)) * 100 > bool 0.05', ['a_total', 'b_total']],
    ['up{job=~"twinkle.*"} == 0 and on (job) process_heap_bytes{job="$job"} > 1e9', ['up', 'process_heap_bytes']],
    ['rate(process_cpu_user_seconds_total{job="${job}"}[5m]) unless ignoring (mode) group_left (x) y', ['process_cpu_user_seconds_total', 'y']],
    ['count_values("le", nodejs_eventloop_lag_seconds) or vector(0)', ['nodejs_eventloop_lag_seconds']],
  ])('finds the metric names in %s', (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});

describe('every metric a rule or panel names', () => {
  const files = [
    ...readdirSync(opsPath('rules')).map((file) => opsPath(`rules/${file}`)),
    ...readdirSync(opsPath('grafana/dashboards')).map((file) => opsPath(`grafana/dashboards/${file}`)),
  ];

  it('covers both rule files and both dashboards', () => {
    expect(files.map((file) => file.slice(file.lastIndexOf('/') + 1)).sort()).toEqual([
      'twinkle-alerts.test.yml',
      'twinkle-alerts.yml',
      'twinkle-api.json',
      'twinkle-facilitator.json',
    ]);
  });

  it.each(files)('is exported by the services in %s', (file) => {
    expect(unknownMetricsInFile(file)).toEqual([]);
  });
});

describe('the metric-name check', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'twinkle-metric-names-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('knows every histogram series by its suffixes, not by its bare name', () => {
    expect(KNOWN_METRICS.has('http_request_duration_seconds_bucket')).toBe(true);
    expect(KNOWN_METRICS.has('twinkle_settlement_duration_seconds_count')).toBe(true);
    expect(KNOWN_METRICS.has('http_request_duration_seconds')).toBe(false);
    expect(KNOWN_METRICS.has('http_requests_total_bucket')).toBe(false);
  });

  it('reports a misspelled metric with its expression', () => {
    const expr = 'sum(rate(http_request_total{status_code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))';
    expect(unknownMetricsIn('rules.yml', [expr])).toEqual([{ file: 'rules.yml', metric: 'http_request_total', expr }]);
  });

  it('reports a misspelled metric in a rules file, naming the file', () => {
    const file = join(scratch, 'misspelled.yml');
    writeFileSync(
      file,
      ['groups:', '  - name: g', '    rules:', '      - alert: A', '        expr: |', '          sum(rate(twinkle_settlement_total[5m])) > 0.1', ''].join('\n'),
    );
    expect(unknownMetricsInFile(file)).toEqual([{ file, metric: 'twinkle_settlement_total', expr: 'sum(rate(twinkle_settlement_total[5m])) > 0.1' }]);
  });

  it('reports a misspelled series in a promtool unit-test file', () => {
    const file = join(scratch, 'misspelled.test.yml');
    writeFileSync(file, `tests:\n  - input_series:\n      - series: 'http_request_total{status_code="500"}'\n        values: '0+1x10'\n`);
    expect(unknownMetricsInFile(file).map((u) => u.metric)).toEqual(['http_request_total']);
  });

  it('reports a misspelled metric in a dashboard panel', () => {
    const file = join(scratch, 'misspelled.json');
    const dashboard = { panels: [{ type: 'timeseries', title: 'Lag', targets: [{ expr: 'nodejs_event_loop_lag_seconds' }] }] };
    writeFileSync(file, JSON.stringify(dashboard));
    expect(unknownMetricsInFile(file)).toEqual([{ file, metric: 'nodejs_event_loop_lag_seconds', expr: 'nodejs_event_loop_lag_seconds' }]);
  });
});
