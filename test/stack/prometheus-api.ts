/** One series of an instant query. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant query on Prometheus' HTTP API; rejects when Prometheus refuses it (a parse error). */
export async function instantQuery(prometheusUrl: string, expr: string): Promise<PromSample[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${JSON.stringify(expr)}: ${body.error}`);
  return body.data!.result;
}

export interface PromRule {
  name: string;
  query: string;
  health: string;
  lastError?: string;
  type: string;
}

/** The rules Prometheus loaded, with their evaluation health. */
export async function loadedRules(prometheusUrl: string): Promise<PromRule[]> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: PromRule[] }> } };
  return body.data.groups.flatMap((group) => group.rules);
}

export interface PromTarget {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

/** The active scrape targets. */
export async function activeTargets(prometheusUrl: string): Promise<PromTarget[]> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as { data: { activeTargets: PromTarget[] } };
  return body.data.activeTargets;
}
