/**
 * OTLP logs through the operations kit: an app under the agent with
 * OTEL_LOGS_EXPORTER=otlp sends its pino lines to the Twinkle collector (built by OCB),
 * whose logs pipeline writes them to a file (collector/config.logs-file.yaml, standing in
 * for Loki), while its spans go on to Jaeger. A request's log records are found at the
 * collector by the trace id Jaeger shows for the request's id. Everything binds 127.0.0.1.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';
import { findGoBinaries, requireBinary } from '../../scripts/go-binaries.js';
import { COLLECTOR_CONFIG_ARGS, COLLECTOR_ENV, jaegerSpec, OPS, STACK } from '../../scripts/stack-components.js';
import { findTraces } from './jaeger-api.js';
import { eventually, ready, startProcess, type StackProcess } from './processes.js';

const JAEGER = STACK.jaeger;
const SERVICE = 'twinkle-logs-stack';

/** One log record of the file exporter's OTLP JSON. */
interface FileLogRecord {
  traceId?: string;
  spanId?: string;
  severityText?: string;
  body?: { stringValue?: string };
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
}

/** Every log record the collector wrote, with its resource's service.name. */
function recordsInFile(file: string): Array<FileLogRecord & { service: string }> {
  if (!existsSync(file)) return [];
  const out: Array<FileLogRecord & { service: string }> = [];
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const request = JSON.parse(line) as {
      resourceLogs?: Array<{
        resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
        scopeLogs?: Array<{ logRecords?: FileLogRecord[] }>;
      }>;
    };
    for (const rl of request.resourceLogs ?? []) {
      const service = rl.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const sl of rl.scopeLogs ?? []) for (const r of sl.logRecords ?? []) out.push({ ...r, service });
    }
  }
  return out;
}

const attribute = (r: FileLogRecord, key: string): string | undefined => r.attributes?.find((a) => a.key === key)?.value.stringValue;

describe('OTLP logs through the collector', () => {
  const binaries = findGoBinaries();
  const scratch = mkdtempSync(join(tmpdir(), 'twinkle-logs-stack-'));
  const logsFile = join(scratch, 'logs.jsonl');
  let jaeger: StackProcess;
  let collector: StackProcess;
  let app: RunningApp;

  beforeAll(async () => {
    const jaegerStart = jaegerSpec(requireBinary(binaries.jaeger, 'Jaeger'));
    jaeger = startProcess(jaegerStart.name, jaegerStart.command, jaegerStart.args, jaegerStart.env);
    await ready(jaeger, jaegerStart.ready.url);
    // The collector as the stack runs it, with the overlay that writes the logs pipeline to a file.
    collector = startProcess(
      'collector',
      requireBinary(binaries.collector, 'the Twinkle collector'),
      [...COLLECTOR_CONFIG_ARGS, '--config', join(OPS, 'collector/config.logs-file.yaml')],
      { ...COLLECTOR_ENV, COLLECTOR_LOGS_FILE: logsFile },
    );
    await ready(collector, `${STACK.collectorOtlpHttp}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    app = await spawnApp('traced-app.mjs', {
      nodeArgs: WITH_AGENT,
      env: {
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: STACK.collectorOtlpHttp,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    for (const p of [collector, jaeger]) await p?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it("finds a request's log records at the collector by the trace id Jaeger shows for its request id", async () => {
    const requestId = `logs-stack-${Date.now()}`;
    const secret = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
    const res = await fetch(`${app.url}/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ from: 'alice', privateKey: secret }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();

    const trace = await eventually(`a trace in Jaeger with twinkle.request_id=${requestId}`, async () => {
      const traces = await findTraces(JAEGER, SERVICE, { 'twinkle.request_id': requestId });
      return traces[0];
    }, 30_000);
    const records = await eventually(
      `log records with trace id ${trace.traceID} in ${logsFile}; collector output: ${collector.output().slice(-1500)}`,
      async () => {
        const found = recordsInFile(logsFile).filter((r) => r.traceId === trace.traceID);
        return found.length >= 3 ? found : undefined;
      },
      30_000,
    );
    // The service logger's line, the app's own pino line and the access line, all of the service.
    expect(records.map((r) => r.body?.stringValue?.split(' ')[0]).sort()).toEqual(['Request', 'own', 'payment']);
    for (const r of records) expect(r.service).toBe(SERVICE);
    expect(attribute(records.find((r) => r.body?.stringValue === 'Request completed')!, 'reqId')).toBe(requestId);
    // The server span Jaeger holds is the access line's span.
    const server = trace.spans.find((s) => s.tags.some((t) => t.key === 'twinkle.request_id' && t.value === requestId))!;
    expect(records.find((r) => r.body?.stringValue === 'Request completed')!.spanId).toBe(server.spanID);
    expect(readFileSync(logsFile, 'utf8')).not.toContain(secret);
  });
});
