import { CustomVariableBuilder, DatasourceVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** The jobs of the monitoring contract's scrape configuration. */
const JOBS = ['twinkle-api', 'twinkle-facilitator'] as const;

/** A Twinkle scrape job. */
export type TwinkleJob = (typeof JOBS)[number];

/** Data source of every panel: whichever Prometheus the `$datasource` variable names. */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** The `$datasource` variable: any Prometheus data source, the default one first. */
export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');
}

/** The `$job` variable: which Twinkle service the HTTP and runtime panels show. */
export function jobVariable(defaultJob: TwinkleJob): CustomVariableBuilder {
  return new CustomVariableBuilder('job')
    .label('Job')
    .values(JOBS.join(','))
    .current({ text: defaultJob, value: defaultJob });
}
