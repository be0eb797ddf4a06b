import { createServer, type IncomingMessage, type Server } from 'node:http';
import { closeServer, createWaiter, listenOnLoopback } from './loopback-server.js';
import { gunzipSync } from 'node:zlib';
import { decodeLogsRequest, decodeTraceRequest, type DecodedLogRecord } from './otlp-protobuf.js';

/** A span as the test reads it: ids in hex, attributes flattened to plain values. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly status: { code?: number; message?: string };
  readonly resource: Record<string, unknown>;
  readonly scope: string;
}

/** An OTLP/HTTP receiver on loopback that decodes what the real exporter sends (JSON or protobuf). */
export interface OtlpReceiver {
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Request bodies (JSON as text; protobuf as latin1 text, where strings stand as they are) for "never contains" checks. */
  readonly bodies: string[];
  readonly requests: number;
  /** Metrics exports received as OTLP JSON (`/v1/metrics`), parsed. */
  readonly metricExports: unknown[];
  /** Log records received on `/v1/logs` (protobuf or JSON). */
  readonly logs: DecodedLogRecord[];
  /** Resolves once `predicate` holds over the received log records. */
  waitForLogs(predicate: (logs: DecodedLogRecord[]) => boolean, timeoutMs?: number): Promise<DecodedLogRecord[]>;
  /** The most export requests that were open at the same time. */
  readonly maxConcurrent: number;
  /** Resolves once `predicate` holds over the received spans. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}

function toValue(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(toValue);
  if (v.kvlistValue !== undefined) return toRecord(v.kvlistValue.values);
  return undefined;
}

function toRecord(attrs: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attrs ?? []).map((a) => [a.key, toValue(a.value)]));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/**
 * Starts the receiver. `status` makes it refuse exports, `hang` accept them and never
 * answer, `delayMs` answer each that much later (spans count once answered).
 */
export async function startOtlpReceiver(options: { status?: number; hang?: boolean; delayMs?: number } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const metricExports: unknown[] = [];
  let requests = 0;
  let open = 0;
  let maxConcurrent = 0;
  const waiter = createWaiter(spans, (all) => all.map((s) => s.name).join(', '));
  const logs: DecodedLogRecord[] = [];
  const logWaiter = createWaiter(logs, (all) => all.map((l) => JSON.stringify(l.body)).join(', '));
  const server: Server = createServer(async (req, res) => {
    requests++;
    open++;
    maxConcurrent = Math.max(maxConcurrent, open);
    res.once('close', () => open--);
    const body = await readBody(req);
    if (options.delayMs !== undefined) await new Promise((r) => setTimeout(r, options.delayMs));
    if (req.url === '/v1/metrics' && req.method === 'POST' && String(req.headers['content-type']).includes('json')) {
      metricExports.push(JSON.parse(body.toString('utf8')));
      res.setHeader('content-type', 'application/json');
      res.end('{}');
      return;
    }
    if (req.url === '/v1/logs' && req.method === 'POST') {
      if (options.hang) return;
      if (options.status !== undefined) {
        res.statusCode = options.status;
        return res.end();
      }
      const json = String(req.headers['content-type']).includes('json');
      bodies.push(body.toString(json ? 'utf8' : 'latin1'));
      logs.push(...(json ? decodeJsonLogs(body.toString('utf8')) : decodeLogsRequest(body)));
      res.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf');
      res.end(json ? '{}' : undefined);
      logWaiter.notify();
      return;
    }
    if (req.url !== '/v1/traces' || req.method !== 'POST') {
      res.statusCode = 404;
      return res.end();
    }
    if (options.hang) return; // accept, never answer
    const contentType = String(req.headers['content-type']);
    if (contentType.includes('protobuf')) {
      bodies.push(body.toString('latin1'));
      spans.push(...decodeTraceRequest(body));
      res.statusCode = options.status ?? 200;
      res.setHeader('content-type', 'application/x-protobuf');
      res.end();
      waiter.notify();
      return;
    }
    const text = body.toString('utf8');
    bodies.push(text);
    if (!contentType.includes('json')) {
      res.statusCode = 415;
      return res.end();
    }
    const payload = JSON.parse(text) as {
      resourceSpans?: Array<{
        resource?: { attributes?: KeyValue[] };
        scopeSpans?: Array<{ scope?: { name?: string }; spans?: Array<Record<string, unknown>> }>;
      }>;
    };
    for (const rs of payload.resourceSpans ?? []) {
      const resource = toRecord(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            traceId: String(s.traceId),
            spanId: String(s.spanId),
            parentSpanId: String(s.parentSpanId ?? ''),
            name: String(s.name),
            kind: Number(s.kind),
            attributes: toRecord(s.attributes as KeyValue[]),
            status: (s.status as ReceivedSpan['status']) ?? {},
            resource,
            scope: ss.scope?.name ?? '',
          });
        }
      }
    }
    res.statusCode = options.status ?? 200;
    res.setHeader('content-type', 'application/json');
    res.end('{}');
    waiter.notify();
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    spans,
    logs,
    waitForLogs: logWaiter.waitFor,
    bodies,
    metricExports,
    get requests() {
      return requests;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    waitFor: waiter.waitFor,
    close: () => closeServer(server),
  };
}

/** Log records of an OTLP JSON ExportLogsServiceRequest, in the shape the protobuf decoder gives. */
function decodeJsonLogs(text: string): DecodedLogRecord[] {
  const payload = JSON.parse(text) as {
    resourceLogs?: Array<{
      resource?: { attributes?: KeyValue[] };
      scopeLogs?: Array<{ scope?: { name?: string }; logRecords?: Array<Record<string, unknown>> }>;
    }>;
  };
  const out: DecodedLogRecord[] = [];
  for (const rl of payload.resourceLogs ?? []) {
    const resource = toRecord(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      for (const r of sl.logRecords ?? []) {
        out.push({
          timeUnixNano: BigInt(String(r.timeUnixNano ?? 0)),
          severityNumber: Number(r.severityNumber ?? 0),
          severityText: String(r.severityText ?? ''),
          body: r.body === undefined ? undefined : toValue(r.body as AnyValue),
          attributes: toRecord(r.attributes as KeyValue[]),
          traceId: String(r.traceId ?? ''),
          spanId: String(r.spanId ?? ''),
          resource,
          scope: sl.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}
