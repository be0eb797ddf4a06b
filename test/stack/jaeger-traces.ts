import { parentOf, type JaegerSpan, type JaegerTrace } from './jaeger-api.js';

/** One trace by id from Jaeger's query API, or undefined when Jaeger has none. */
export async function traceById(jaegerUrl: string, traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${jaegerUrl}/api/traces/${traceId}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`Jaeger answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data?.[0];
}

/** Every trace of `service` whose root or any span is `operation`, within the last hour (up to `limit`). */
export async function tracesOf(jaegerUrl: string, service: string, operation: string, limit = 5000): Promise<JaegerTrace[]> {
  const query = new URLSearchParams({ service, operation, lookback: '1h', limit: String(limit) });
  const response = await fetch(`${jaegerUrl}/api/traces?${query}`);
  if (!response.ok) throw new Error(`Jaeger answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

/** Spans whose parent is not in the trace: exactly one (the root) when the trace is whole. */
export function orphans(trace: JaegerTrace): JaegerSpan[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.filter((s) => {
    const parent = parentOf(s);
    return parent === undefined || !ids.has(parent);
  });
}
