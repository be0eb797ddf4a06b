import { LABEL_ROUTE, LABEL_STATUS_CODE, METRIC_HTTP_REQUEST_DURATION, METRIC_HTTP_REQUESTS } from '@twinkle/semconv';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { timeseriesPanel } from './timeseries.ts';
import { twinkleDashboard } from './twinkle-dashboard.ts';

const REQUESTS = METRIC_HTTP_REQUESTS.name;
const DURATION_BUCKET = `${METRIC_HTTP_REQUEST_DURATION.name}_bucket`;
const JOB = 'job="$job"';
/** The API's route of resources paid over x402 (402 until paid, 200 once settled). */
const PAID_ROUTE = `${LABEL_ROUTE}="/paid/:resource"`;

/** "Twinkle API": the monitoring contract's API dashboard, for the `$job` service. */
export function apiDashboard(): DashboardBuilder {
  return twinkleDashboard({
    title: 'Twinkle API',
    uid: 'twinkle-api',
    job: 'twinkle-api',
    row: 'HTTP',
    panels: [
      timeseriesPanel({
        title: 'Request Rate',
        unit: 'reqps',
        queries: [{ expr: `sum(rate(${REQUESTS}{${JOB}}[5m])) by (${LABEL_ROUTE})`, legend: `{{${LABEL_ROUTE}}}` }],
      }),
      timeseriesPanel({
        title: 'Error Rate',
        unit: 'percent',
        queries: [
          {
            expr:
              `sum(rate(${REQUESTS}{${JOB},${LABEL_STATUS_CODE}=~"5.."}[5m])) /\n` +
              `sum(rate(${REQUESTS}{${JOB}}[5m])) * 100`,
            legend: '5xx',
          },
        ],
      }),
      timeseriesPanel({
        title: 'Request Latency (P95)',
        unit: 's',
        exemplars: true,
        queries: [
          {
            expr: `histogram_quantile(0.95,\n  sum(rate(${DURATION_BUCKET}{${JOB}}[5m])) by (le, ${LABEL_ROUTE})\n)`,
            legend: `{{${LABEL_ROUTE}}}`,
          },
        ],
      }),
      timeseriesPanel({
        title: 'Requests by Status Code',
        unit: 'reqps',
        queries: [
          { expr: `sum(rate(${REQUESTS}{${JOB}}[5m])) by (${LABEL_STATUS_CODE})`, legend: `{{${LABEL_STATUS_CODE}}}` },
        ],
      }),
      timeseriesPanel({
        title: 'Paid Requests (x402)',
        unit: 'reqps',
        queries: [
          { expr: `sum(rate(${REQUESTS}{${JOB},${PAID_ROUTE}}[5m])) by (${LABEL_STATUS_CODE})`, legend: `{{${LABEL_STATUS_CODE}}}` },
        ],
      }),
    ],
  });
}
