import type { IncomingMessage } from 'node:http';
import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ACCESS_LOG_MESSAGE, accessLogLevel, createAccessLog } from '../../../agent/src/server/access-log.js';
import { createRequestState } from '../../../agent/src/server/request-state.js';

function sink() {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

const PINO_METHOD = { 30: 'info', 40: 'warn', 50: 'error' } as const;

/** The line pino writes for the same fields at `level`, as the agent wrote them before building lines by hand. */
function pinoLine(base: Record<string, unknown>, fields: Record<string, unknown>, level: 30 | 40 | 50 = 30): string {
  const s = sink();
  pino({ base, timestamp: () => ',"time":0' }, s)[PINO_METHOD[level]](fields, ACCESS_LOG_MESSAGE);
  return s.lines[0];
}

const withoutTime = (line: string): string => line.replace(/"time":\d+/, '"time":0');

describe('createAccessLog', () => {
  const base = { pid: 4242, hostname: 'host "quoted"', service: 'twinkle-api' };
  const sampled = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  const unsampled = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 });
  class SettlementFailedError extends Error {}
  const cases: Array<[string, string, unknown, number, number, unknown]> = [
    ['/payments/1?limit=5', 'GET', sampled, 200, 0.0123456789, undefined],
    ['/a"b\\c', 'POST', unsampled, 404, 1e-7, undefined],
    ['/ünïcode/\x7f', 'DELETE', undefined, 500, 12.5, undefined],
    ['/v2/0123456789abcdef0123456789abcdef', 'PATCH', sampled, 201, 0, undefined],
    ['/?key=secret', 'GET', sampled, 200, 0.5, undefined],
    ['/redirect', 'GET', unsampled, 302, 0.001, undefined],
    ['/admin', 'GET', sampled, 401, 0.002, undefined],
    ['/too-many', 'GET', undefined, 429, 0.003, undefined],
    ['/boom', 'GET', sampled, 500, 0.004, new TypeError('boom')],
    ['/settle', 'POST', undefined, 502, 0.2, new SettlementFailedError('reverted')],
    ['/odd', 'GET', undefined, 503, 0.1, Object.assign(Object.create(null) as object, { name: 'Named "odd"' })],
    ['/thrown-string', 'GET', undefined, 500, 0.1, 'a string'],
    ['/client-error-with-error', 'GET', undefined, 400, 0.1, new RangeError('bad')],
  ];

  /** What pino's error serializer calls an error's type. */
  const typeOf = (error: unknown): string | undefined =>
    error instanceof Error ? error.constructor.name : typeof error === 'object' && error !== null ? String((error as { name: unknown }).name) : undefined;

  it.each(cases)('writes for %s the line pino writes for the same fields, at its level', (url, method, span, status, seconds, error) => {
    const s = sink();
    const state = createRequestState(span as never, 'abc-123');
    state.error = error;
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
    // The error's type is on a 5xx line only (a 4xx is the client's doing).
    if (status >= 500 && typeOf(error) !== undefined) fields.err = { type: typeOf(error) };
    const level = status >= 500 ? 50 : status >= 400 ? 40 : 30;
    expect(s.lines).toHaveLength(1);
    expect(withoutTime(s.lines[0])).toBe(pinoLine(base, fields, level));
    expect(JSON.parse(s.lines[0]).time).toBeGreaterThan(1.7e12);
  });

  it('picks the level pipelines expect: 5xx error, 4xx warn, anything else info', () => {
    expect([100, 200, 204, 301, 304, 399, 400, 404, 429, 499, 500, 502, 503, 599].map(accessLogLevel)).toEqual([
      30, 30, 30, 30, 30, 30, 40, 40, 40, 40, 50, 50, 50, 50,
    ]);
  });

  it.each([
    [40, [404, 500]],
    [50, [500]],
    [30, [200, 404, 500]],
    [20, [200, 404, 500]],
  ])('writes at a logger level of %i only the lines at or above it', (threshold, written) => {
    const s = sink();
    const log = createAccessLog(s, base, threshold);
    for (const status of [200, 404, 500]) log.write({ url: '/x', method: 'GET' } as IncomingMessage, createRequestState(undefined, 'id'), status, 0.001);
    expect(s.lines.map((l) => JSON.parse(l).status)).toEqual(written);
  });

  it('writes the line without a type when reading the error throws', () => {
    const s = sink();
    const state = createRequestState(undefined, 'id');
    state.error = new Proxy({}, { get: () => { throw new Error('no'); } });
    createAccessLog(s, base).write({ url: '/x', method: 'GET' } as IncomingMessage, state, 500, 0.001);
    expect(JSON.parse(s.lines[0])).not.toHaveProperty('err');
    expect(JSON.parse(s.lines[0])).toMatchObject({ level: 50, status: 500 });
  });
});
