import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { getRPCMetadata, isTracingSuppressed, suppressTracing } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { RequestContext } from '../../../agent/src/server/request-context.js';
import { createRequestState } from '../../../agent/src/server/request-state.js';

describe('RequestContext', () => {
  const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
  const state = createRequestState(span, 'req-1');

  it('is read by the API and core as a context holding the span and the RPC metadata', () => {
    const ctx = new RequestContext(ROOT_CONTEXT, state, span);
    expect(trace.getSpan(ctx)).toBe(span);
    expect(getRPCMetadata(ctx)).toBe(state);
  });

  it('keeps both under values set inside the request, and lets them be deleted', () => {
    const key = createContextKey('test key');
    const ctx = new RequestContext(ROOT_CONTEXT, state, span).setValue(key, 'v');
    expect(ctx.getValue(key)).toBe('v');
    expect(trace.getSpan(ctx)).toBe(span);
    expect(getRPCMetadata(ctx)).toBe(state);
    const child = trace.wrapSpanContext({ ...span.spanContext(), spanId: '00f067aa0ba902b7' });
    expect(trace.getSpan(trace.setSpan(ctx, child))).toBe(child);
    expect(trace.getSpan(trace.deleteSpan(ctx))).toBeUndefined();
    expect(isTracingSuppressed(suppressTracing(ctx))).toBe(true);
    expect(ctx.deleteValue(key).getValue(key)).toBeUndefined();
  });

  it('falls back to the parent for the span when tracing is off', () => {
    const parent = trace.setSpan(ROOT_CONTEXT, span);
    const ctx = new RequestContext(parent, createRequestState(undefined, 'req-2'), undefined);
    expect(trace.getSpan(ctx)).toBe(span);
    expect(getRPCMetadata(ctx)).toMatchObject({ requestId: 'req-2' });
  });
});
