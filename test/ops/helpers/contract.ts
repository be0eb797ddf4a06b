/**
 * The PromQL of the monitoring contract the operations kit implements (docs/monitoring.md,
 * its "Dashboards", "Alert rules" and "Scrape configuration" sections): the panels by title
 * and the alerts' expressions. The dashboards and rules must run exactly these.
 */

/** The API dashboard: panel title -> query. */
export const CONTRACT_API_PANELS: Record<string, string> = {
  'Request Rate': `sum(rate(http_requests_total{job="twinkle-api"}[5m])) by (route)`,
  'Error Rate': `sum(rate(http_requests_total{job="twinkle-api",status_code=~"5.."}[5m])) /
sum(rate(http_requests_total{job="twinkle-api"}[5m])) * 100`,
  'Request Latency (P95)': `histogram_quantile(0.95,
  sum(rate(http_request_duration_seconds_bucket{job="twinkle-api"}[5m])) by (le, route)
)`,
  'Requests by Status Code': `sum(rate(http_requests_total{job="twinkle-api"}[5m])) by (status_code)`,
  'Paid Requests (x402)': `sum(rate(http_requests_total{job="twinkle-api",route="/paid/:resource"}[5m])) by (status_code)`,
};

/** The Facilitator dashboard: panel title -> query. */
export const CONTRACT_FACILITATOR_PANELS: Record<string, string> = {
  'Settlement Success Rate': `sum(rate(twinkle_settlements_total{status="success"}[5m])) /
sum(rate(twinkle_settlements_total[5m])) * 100`,
  'Settlement Duration (P95)': `histogram_quantile(0.95,
  sum(rate(twinkle_settlement_duration_seconds_bucket[5m])) by (le)
)`,
  'Settlements by Type': `sum(rate(twinkle_settlements_total[5m])) by (type)`,
};

/** The alert rules, HighRateLimitHits included: alert -> expression. */
export const CONTRACT_ALERTS: Record<string, string> = {
  HighErrorRate: `sum(rate(http_requests_total{status_code=~"5.."}[5m])) /
sum(rate(http_requests_total[5m])) > 0.05`,
  HighLatency: `histogram_quantile(0.95,
  sum(rate(http_request_duration_seconds_bucket[5m])) by (le)
) > 1`,
  SettlementFailures: `sum(rate(twinkle_settlements_total{status="failure"}[5m])) > 0.1`,
  ServiceDown: `up{job=~"twinkle.*"} == 0`,
  HighRateLimitHits: `sum(rate(http_requests_total{status_code="429"}[5m])) > 10`,
};

/** `expr` without whitespace, for comparing queries laid out differently. */
export function compactPromql(expr: string): string {
  return expr.replace(/\s+/g, '');
}

/** The contract's `scrape_configs`, verbatim. */
export const CONTRACT_SCRAPE_CONFIGS = `scrape_configs:
  - job_name: 'twinkle-api'
    static_configs:
      - targets: ['localhost:3000']
    metrics_path: '/metrics'
    scrape_interval: 15s

  - job_name: 'twinkle-facilitator'
    static_configs:
      - targets: ['localhost:3001']
    metrics_path: '/metrics'
    scrape_interval: 15s
`;
