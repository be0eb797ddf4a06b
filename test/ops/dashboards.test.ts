import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dashboardExprs, type DashboardJson } from './helpers/dashboard-exprs.js';
import { compactPromql, CONTRACT_API_PANELS, CONTRACT_FACILITATOR_PANELS } from './helpers/contract.js';
import { opsPath, OPS_DIR } from './helpers/paths.js';
import { metricNamesIn } from './helpers/promql-metrics.js';
import { run } from './helpers/run.js';

/** What otel-collector/dashboards/src/render.ts exports (a separate TypeScript project). */
interface DashboardRenderer {
  renderDashboards(): { file: string; json: string }[];
}

// A variable specifier keeps tsc -p test out of the generator's project, which
// type-checks on its own (see the tsc test below).
const RENDERER = pathToFileURL(opsPath('dashboards/src/render.ts')).href;
const TSC = new URL('../../node_modules/.bin/tsc', import.meta.url).pathname;

function readDashboard(file: string): DashboardJson {
  return JSON.parse(readFileSync(opsPath(`grafana/dashboards/${file}`), 'utf8')) as DashboardJson;
}

describe('the dashboard generator', () => {
  it('renders exactly the committed dashboard JSON (run otel-collector/dashboards/src/generate.ts)', async () => {
    const { renderDashboards } = (await import(RENDERER)) as DashboardRenderer;
    const rendered = renderDashboards();
    expect(readdirSync(opsPath('grafana/dashboards')).sort()).toEqual(rendered.map((d) => d.file).sort());
    for (const { file, json } of rendered) {
      expect(readFileSync(opsPath(`grafana/dashboards/${file}`), 'utf8'), file).toBe(json);
    }
  });

  it('type-checks', async () => {
    const result = await run(TSC, ['-p', `${OPS_DIR}dashboards`]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});

describe.each([
  { file: 'twinkle-api.json', title: 'Twinkle API', job: 'twinkle-api', contractPanels: CONTRACT_API_PANELS },
  { file: 'twinkle-facilitator.json', title: 'Twinkle Facilitator', job: 'twinkle-facilitator', contractPanels: CONTRACT_FACILITATOR_PANELS },
])('the $title dashboard', ({ file, title, job, contractPanels }) => {
  const dashboard = readDashboard(file);

  it('has its title and a stable uid', () => {
    expect(dashboard.title).toBe(title);
    expect(dashboard.uid).toBe(job);
  });

  it.each(Object.entries(contractPanels))("runs the monitoring contract's query in its %s panel", (panelTitle, contractQuery) => {
    const panel = dashboard.panels.find((p) => p.title === panelTitle);
    expect(panel, `no panel titled ${panelTitle}`).toBeDefined();
    // With $job at its default, the panel runs the contract's query.
    const exprs = (panel?.targets ?? []).map((t) => compactPromql((t.expr ?? '').replaceAll('$job', job)));
    expect(exprs).toEqual([compactPromql(contractQuery)]);
  });

  it('has the runtime panels: CPU, memory and event-loop lag of $job', () => {
    const runtime = Object.fromEntries(
      ['CPU Usage', 'Memory Usage', 'Event Loop Lag'].map((panelTitle) => [
        panelTitle,
        dashboardExprs(dashboard).filter((e) => e.panel === panelTitle).flatMap((e) => metricNamesIn(e.expr)),
      ]),
    );
    expect(runtime).toEqual({
      'CPU Usage': ['process_cpu_user_seconds_total', 'process_cpu_system_seconds_total'],
      'Memory Usage': ['process_resident_memory_bytes', 'process_heap_bytes'],
      'Event Loop Lag': ['nodejs_eventloop_lag_seconds'],
    });
    const runtimeExprs = dashboardExprs(dashboard).filter((e) => e.panel in runtime);
    expect(runtimeExprs.every((e) => e.expr.includes('{job="$job"}'))).toBe(true);
  });

  it('has a Prometheus data-source variable and a job variable defaulting to its service', () => {
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.job).toMatchObject({ current: { value: job } });
    expect(String(variables.job?.query).split(',')).toContain(job);
  });

  it('queries the $datasource variable in every panel and target', () => {
    const refs = dashboard.panels
      .filter((panel) => panel.type !== 'row')
      .flatMap((panel) => [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]);
    expect(refs.length).toBeGreaterThan(0);
    expect(new Set(refs.map((ref) => JSON.stringify(ref)))).toEqual(new Set([JSON.stringify({ type: 'prometheus', uid: '${datasource}' })]));
  });
});
