import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS } from './variables.ts';

/** One PromQL query of a panel and the legend of its series. */
export interface PanelQuery {
  expr: string;
  legend: string;
}

/** What differs between the dashboards' time-series panels. */
export interface TimeseriesOptions {
  title: string;
  /** Grafana unit id, e.g. `reqps`, `percent`, `s`, `bytes`. */
  unit: string;
  queries: PanelQuery[];
  /**
   * Shows the exemplars of the queried histogram (trace ids the services attach to its
   * buckets) as points; the Prometheus data source links each to its trace in Jaeger.
   */
  exemplars?: boolean;
}

/** A time-series panel on `$datasource`, from zero, with a visible legend. */
export function timeseriesPanel({ title, unit, queries, exemplars = false }: TimeseriesOptions): PanelBuilder {
  const panel = new PanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .min(0)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom));
  queries.forEach(({ expr, legend }, i) => {
    const target = new DataqueryBuilder()
      .refId(String.fromCharCode(65 + i))
      .datasource(PROMETHEUS)
      .expr(expr)
      .legendFormat(legend);
    panel.withTarget(exemplars ? target.exemplar(true) : target);
  });
  return panel;
}
