/** The parts of a Grafana dashboard JSON the ops tests read. */
export interface DashboardJson {
  title: string;
  uid: string;
  templating: { list: { name: string; type: string; query?: unknown; current?: { value?: unknown } }[] };
  panels: DashboardPanel[];
}

/** A panel of a dashboard (rows have no targets). */
export interface DashboardPanel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; datasource?: { type?: string; uid?: string } }[];
}

/** Every PromQL expression a dashboard runs, with the title of its panel. */
export function dashboardExprs(dashboard: DashboardJson): { panel: string; expr: string }[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) => (target.expr === undefined ? [] : [{ panel: panel.title, expr: target.expr }])),
  );
}
