import { DashboardBuilder, DashboardCursorSync, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { runtimePanels } from './runtime-panels.ts';
import { datasourceVariable, jobVariable, type TwinkleJob } from './variables.ts';

/** What differs between the Twinkle dashboards. */
export interface TwinkleDashboardOptions {
  title: string;
  uid: string;
  /** Default of the `$job` variable. */
  job: TwinkleJob;
  /** Title of the first row, which holds `panels`. */
  row: string;
  panels: PanelBuilder[];
}

/** A Twinkle dashboard: the service's own panels, then its runtime panels; ids from 1. */
export function twinkleDashboard({ title, uid, job, row, panels }: TwinkleDashboardOptions): DashboardBuilder {
  const dashboard = new DashboardBuilder(title)
    .uid(uid)
    .tags(['twinkle'])
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(datasourceVariable())
    .withVariable(jobVariable(job));
  let id = 0;
  const addRow = (rowTitle: string, rowPanels: PanelBuilder[]): void => {
    dashboard.withRow(new RowBuilder(rowTitle).id(++id));
    rowPanels.forEach((panel) => dashboard.withPanel(panel.id(++id)));
  };
  addRow(row, panels);
  addRow('Runtime', runtimePanels());
  return dashboard;
}
