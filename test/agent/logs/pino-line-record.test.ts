import { context, SeverityNumber, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { logs } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { pinoLineToLogRecord } from '../../../agent/src/logs/pino-line-record.js';

// instrumentation-pino's own log sending, on a pino required after it is enabled: the
// reference the agent's mapping is held equal to.
const exporter = new InMemoryLogRecordExporter();
const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
logs.setGlobalLoggerProvider(provider);
// The agent's records, through an SDK of their own (exceptions become exception.* attributes there).
const ourExporter = new InMemoryLogRecordExporter();
const ourLogger = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: ourExporter })] }).getLogger('agent');
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const instrumentation = new PinoInstrumentation({ disableLogCorrelation: true });
instrumentation.enable();
const require = createRequire(import.meta.url);
const pino = require('pino') as typeof import('pino').default;

afterAll(() => {
  instrumentation.disable();
  logs.disable();
  context.disable();
});

describe('pinoLineToLogRecord', () => {
  it("maps a line as instrumentation-pino maps an app's own pino line", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ base: { pid: 1, hostname: 'h', service: 's' } }, sink);
    for (const [level, fields, msg] of [
      ['info', { reqId: 'r-1', nested: { a: [1, 'x'] } }, 'hello'],
      ['warn', { count: 3 }, 'careful'],
      ['error', { err: new Error('boom') }, 'failed'],
      ['debug', {}, 'hidden'],
      ['fatal', { ok: false }, 'down'],
    ] as const) logger[level](fields, msg);
    const reference = exporter.getFinishedLogRecords();
    expect(reference).toHaveLength(4); // debug is below pino's default level
    expect(lines).toHaveLength(4);
    for (const line of lines) ourLogger.emit(pinoLineToLogRecord(line)!);
    const ours = ourExporter.getFinishedLogRecords();
    expect(reference.some((r) => r.attributes['exception.message'] === 'boom')).toBe(true);
    ours.forEach((record, i) => {
      const theirs = reference[i]!;
      expect(record.body).toEqual(theirs.body);
      expect(record.attributes).toEqual(theirs.attributes);
      expect(record.severityNumber).toBe(theirs.severityNumber);
      expect(record.severityText).toBe(theirs.severityText);
      expect(record.hrTime).toEqual(theirs.hrTime);
    });
  });

  it('takes the trace context from the line, flags from the active span when it is the same one', () => {
    const ids = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
    const line = JSON.stringify({ level: 30, time: 1, msg: 'm', ...ids });
    expect(trace.getSpanContext(pinoLineToLogRecord(line)!.context!)).toMatchObject({ traceId: ids.trace_id, spanId: ids.span_id, traceFlags: 1 });
    const unsampled = trace.setSpanContext(context.active(), { traceId: ids.trace_id, spanId: ids.span_id, traceFlags: 0 });
    const record = context.with(unsampled, () => pinoLineToLogRecord(line));
    expect(trace.getSpanContext(record!.context!)?.traceFlags).toBe(0);
    expect(pinoLineToLogRecord(JSON.stringify({ level: 30, msg: 'm', trace_id: 'zz', span_id: 'yy' }))!.context).toBeUndefined();
  });

  it('gives no record for a line that is not a JSON object, and UNSPECIFIED for a custom level', () => {
    expect(pinoLineToLogRecord('not json')).toBeUndefined();
    expect(pinoLineToLogRecord('[1]')).toBeUndefined();
    expect(pinoLineToLogRecord('{"level":35,"msg":"x"}')!.severityNumber).toBe(SeverityNumber.UNSPECIFIED);
  });
});
