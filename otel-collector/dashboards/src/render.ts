import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { apiDashboard } from './api-dashboard.ts';
import { facilitatorDashboard } from './facilitator-dashboard.ts';

/** Where the dashboard JSON lives: the folder Grafana's provisioning loads. */
export const DASHBOARDS_DIR = new URL('../../grafana/dashboards/', import.meta.url);

/** One dashboard as the JSON file that is committed. */
export interface RenderedDashboard {
  file: string;
  json: string;
}

function toJson(dashboard: DashboardBuilder): string {
  return `${JSON.stringify(dashboard.build(), null, 2)}\n`;
}

/** Every Twinkle dashboard, rendered. */
export function renderDashboards(): RenderedDashboard[] {
  return [
    { file: 'twinkle-api.json', json: toJson(apiDashboard()) },
    { file: 'twinkle-facilitator.json', json: toJson(facilitatorDashboard()) },
  ];
}
