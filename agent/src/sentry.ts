/**
 * Sentry error tracking on the agent's own OpenTelemetry setup: Sentry sets up no
 * tracing of its own (no second tracer provider, no http integration), its events get
 * the OpenTelemetry trace and span ids of the request they happened in, and every
 * event and breadcrumb goes through the shared scrubber. Loaded only with a valid DSN.
 */
import { context, isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Transport } from '@sentry/core';
import type { ErrorEvent, Event } from '@sentry/node';
import type { AgentConfig, UnhandledRejectionsMode } from './config.js';
import type { AgentDiag } from './diag.js';
import { scrubValue } from './scrub.js';
import { activeRequestState, type ServerRequestState } from './server/request-state.js';

/** What the rest of the agent (and `@twinkle/agent/api`) asks of Sentry. */
export interface SentryReporter {
  /** Reports an error; `extra` is scrubbed like everything else. Returns the event id. */
  captureError(error: unknown, extra?: Record<string, unknown>, ctx?: Context): string | undefined;
  /** Reports a request that ended in a 5xx: the error the app's handler turned into it, or one naming the status. */
  captureServerError(state: ServerRequestState, ctx: Context, method: string, statusCode: number): void;
  /** Sends what is queued, within `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean>;
  /** How many events have been prepared for sending so far (the exit flush sends only when more were). */
  captured(): number;
}

/**
 * Node's http or https for Sentry's transport, with each request's socket unref'd: an
 * event in flight never holds a process that has finished its work (the agent's exit
 * flush holds it, for a bounded time, while it waits).
 */
function unrefHttpModule(url: string): Pick<typeof import('node:http'), 'request'> {
  const native = (url.startsWith('https:') ? require('node:https') : require('node:http')) as typeof import('node:http');
  return {
    request: ((options: import('node:http').RequestOptions, callback?: (res: import('node:http').IncomingMessage) => void) => {
      const req = native.request(options, callback);
      req.on('socket', (socket) => socket.unref());
      return req;
    }) as typeof import('node:http').request,
  };
}

/** Longest string kept in an event (a 1 MB message is cut, not dropped). */
const MAX_VALUE_LENGTH = 8192;
/** Deepest object kept in an event's context (cycles become "[Circular]"). */
const NORMALIZE_DEPTH = 6;

/** Sentry's unhandled-rejection mode that behaves as Node's own mode does. */
function rejectionMode(mode: UnhandledRejectionsMode): 'strict' | 'warn' | 'none' {
  if (mode === 'none') return 'none';
  if (mode === 'warn' || mode === 'warn-with-error-code') return 'warn';
  return 'strict'; // throw (Node's default) and strict end the process
}

/** Starts Sentry for `config.sentry`; returns undefined when there is no DSN. */
export function startSentry(config: AgentConfig, diag: AgentDiag): SentryReporter | undefined {
  if (config.sentry === undefined) return undefined;
  const Sentry = require('@sentry/node') as typeof import('@sentry/node');

  // Sentry's own requests to its ingest endpoint: no span, no traceparent.
  const untracedTransport = (options: Parameters<typeof Sentry.makeNodeTransport>[0]): Transport => {
    const transport = Sentry.makeNodeTransport({ ...options, httpModule: unrefHttpModule(options.url) });
    return {
      ...transport,
      send: (envelope: Parameters<Transport['send']>[0]) => context.with(suppressTracing(context.active()), () => transport.send(envelope)),
    };
  };

  let captured = 0;
  Sentry.initWithoutDefaultIntegrations({
    dsn: config.sentry.dsn,
    environment: config.sentry.environment,
    release: config.sentry.release,
    integrations: [
      Sentry.eventFiltersIntegration(),
      Sentry.functionToStringIntegration(),
      Sentry.linkedErrorsIntegration(),
      Sentry.dedupeIntegration(),
      Sentry.onUncaughtExceptionIntegration(),
      Sentry.onUnhandledRejectionIntegration({ mode: rejectionMode(config.unhandledRejections) }),
      Sentry.nodeContextIntegration(),
    ],
    // Sentry 11's data collection switches (packages/core/src/types-hoist/datacollection.ts):
    // nothing about the user, no cookies, headers, bodies or query strings.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      stackFrameVariables: false,
    },
    sendClientReports: false,
    maxValueLength: MAX_VALUE_LENGTH,
    normalizeDepth: NORMALIZE_DEPTH,
    transport: untracedTransport,
    beforeSend: (event) => {
      captured++;
      return scrubValue(event, { maxStringLength: MAX_VALUE_LENGTH }) as ErrorEvent;
    },
    beforeBreadcrumb: (breadcrumb) => scrubValue(breadcrumb, { maxStringLength: MAX_VALUE_LENGTH }) as typeof breadcrumb,
  });

  const scope = Sentry.getGlobalScope();
  scope.setTag('service', config.serviceName);
  // Runs while the event is prepared, in the context it was captured in.
  scope.addEventProcessor((event: Event) => addRequestContext(event, context.active()));
  diag.debug('sentry started');

  const captureError: SentryReporter['captureError'] = (error, extra, ctx) => {
    const capture = (): string =>
      Sentry.withScope((s) => {
        if (extra !== undefined) s.setContext('twinkle', scrubValue(extra) as Record<string, unknown>);
        return Sentry.captureException(error);
      });
    return ctx === undefined ? capture() : context.with(ctx, capture);
  };
  return {
    captureError,
    captureServerError(state, ctx, method, statusCode) {
      const route = state.route ?? 'unmatched route';
      captureError(
        state.error ?? new Error(`HTTP ${statusCode} ${method} ${route}`),
        { request: { method, route: state.route, status: statusCode, requestId: state.requestId } },
        ctx,
      );
    },
    flush: (timeoutMs) => Sentry.flush(timeoutMs),
    captured: () => captured,
  };
}

/** The OpenTelemetry trace of the request an event happened in, and its route and request id as tags. */
function addRequestContext(event: Event, ctx: Context): Event {
  const spanContext = trace.getSpan(ctx)?.spanContext();
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    event.contexts = {
      ...event.contexts,
      trace: { ...event.contexts?.trace, trace_id: spanContext.traceId, span_id: spanContext.spanId },
    };
  }
  const state = activeRequestState(ctx);
  if (state !== undefined) {
    event.tags = { ...event.tags, request_id: state.requestId };
    if (state.route !== undefined) event.tags.route = state.route;
  }
  return event;
}
