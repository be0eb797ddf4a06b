import { LABEL_STATUS, LABEL_TYPE, METRIC_SETTLEMENT_DURATION, METRIC_SETTLEMENTS } from '@twinkle/semconv';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { timeseriesPanel } from './timeseries.ts';
import { twinkleDashboard } from './twinkle-dashboard.ts';

const SETTLEMENTS = METRIC_SETTLEMENTS.name;
const DURATION_BUCKET = `${METRIC_SETTLEMENT_DURATION.name}_bucket`;

/**
 * "Twinkle Facilitator": the monitoring contract's facilitator dashboard. Its settlement
 * queries are the contract's, over every job (only the facilitator settles).
 */
export function facilitatorDashboard(): DashboardBuilder {
  return twinkleDashboard({
    title: 'Twinkle Facilitator',
    uid: 'twinkle-facilitator',
    job: 'twinkle-facilitator',
    row: 'Settlements',
    panels: [
      timeseriesPanel({
        title: 'Settlement Success Rate',
        unit: 'percent',
        queries: [
          {
            expr: `sum(rate(${SETTLEMENTS}{${LABEL_STATUS}="success"}[5m])) /\nsum(rate(${SETTLEMENTS}[5m])) * 100`,
            legend: 'success',
          },
        ],
      }),
      timeseriesPanel({
        title: 'Settlement Duration (P95)',
        unit: 's',
        queries: [{ expr: `histogram_quantile(0.95,\n  sum(rate(${DURATION_BUCKET}[5m])) by (le)\n)`, legend: 'P95' }],
      }),
      timeseriesPanel({
        title: 'Settlements by Type',
        unit: 'ops',
        queries: [{ expr: `sum(rate(${SETTLEMENTS}[5m])) by (${LABEL_TYPE})`, legend: `{{${LABEL_TYPE}}}` }],
      }),
    ],
  });
}
