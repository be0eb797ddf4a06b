import type { IncomingMessage } from 'node:http';
import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ACCESS_LOG_MESSAGE, createAccessLog } from '../../../agent/src/server/access-log.js';
import { createRequestState } from '../../../agent/src/server/request-state.js';

function sink() {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

/** The line pino writes for the same fields, as the agent wrote them before building lines by hand. */
function pinoLine(base: Record<string, unknown>, fields: Record<string, unknown>): string {
  const s = sink();
  pino({ base, timestamp: () => ',"time":0' }, s).info(fields, ACCESS_LOG_MESSAGE);
  return s.lines[0];
}

const withoutTime = (line: string): string => line.replace(/"time":\d+/, '"time":0');

describe('createAccessLog', () => {
  const base = { pid: 4242, hostname: 'host "quoted"', service: 'twinkle-api' };
  const sampled = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  const unsampled = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 });
  const cases: Array<[string, string, unknown, number, number]> = [
    ['/payments/1?limit=5', 'GET', sampled, 200, 0.0123456789],
    ['/a"b\\c', 'POST', unsampled, 404, 1e-7],
    ['/ünïcode/\x7f', 'DELETE', undefined, 500, 12.5],
    ['/v2/0123456789abcdef0123456789abcdef', 'PATCH', sampled, 201, 0],
    ['/?key=secret', 'GET', sampled, 200, 0.5],
  ];

  it.each(cases)('writes for %s the line pino writes for the same fields', (url, method, span, status, seconds) => {
    const s = sink();
    const state = createRequestState(span as never, 'abc-123');
    createAccessLog(s, base).write({ url, method } as IncomingMessage, state, status, seconds);
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const fields: Record<string, unknown> = {
      reqId: 'abc-123',
      method,
      path: rawPath.startsWith('/v2/') ? '/v2/[REDACTED]' : rawPath,
      status,
      duration: Math.round(seconds * 1e6) / 1e6,
    };
    if (span === sampled) Object.assign(fields, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' });
    expect(s.lines).toHaveLength(1);
    expect(withoutTime(s.lines[0])).toBe(pinoLine(base, fields));
    expect(JSON.parse(s.lines[0]).time).toBeGreaterThan(1.7e12);
  });
});
