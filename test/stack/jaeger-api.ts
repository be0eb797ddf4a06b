/** A span as Jaeger's query API (`/api/traces`) returns it. */
export interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string; traceID: string }>;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** The traces of `service` with tag `key=value`, from Jaeger's HTTP query API. */
export async function findTraces(jaegerUrl: string, service: string, tags: Record<string, string>): Promise<JaegerTrace[]> {
  const query = new URLSearchParams({ service, tags: JSON.stringify(tags), lookback: '1h', limit: '20' });
  const response = await fetch(`${jaegerUrl}/api/traces?${query}`);
  if (!response.ok) throw new Error(`Jaeger answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

/** A span's tag value. */
export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

/** The database a client span talked to (`db.system`, or `db.system.name` under the stable database conventions). */
export function dbSystem(span: JaegerSpan): unknown {
  return tag(span, 'db.system') ?? tag(span, 'db.system.name');
}

/** The service a span came from. */
export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]?.serviceName ?? '?';
}

/** The span's parent span id, if any. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}
