import { context } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { activeRequestState } from '../server/request-state.js';
import { httpClientStartAttributes, jsonRpcSpanName, undiciStartAttributes } from './client-span-hooks.js';
import { HonoInstrumentation } from './hono/index.js';

/** Modules the span-making instrumentations patch; the ESM hook intercepts only these. */
const SPAN_MODULES = ['pg', 'pg-pool', 'ioredis', 'pino', 'http', 'https'];
/** Modules the route instrumentation patches, whatever the configuration. */
const ROUTE_MODULES = ['hono'];

/** What the instrumentations need from the agent. */
export interface InstrumentationOptions {
  /** Whether spans are exported at all; without tracing, span-only instrumentations are not loaded. */
  readonly tracing: boolean;
  /** Paths the agent answers itself on the app's port. */
  readonly reservedPaths: string[];
  readonly onReservedRoute: (method: string, path: string) => void;
}

/** The modules the ESM hook must intercept for `createInstrumentations(options)`, and nothing else. */
export function instrumentedModules(options: Pick<InstrumentationOptions, 'tracing'>): string[] {
  return options.tracing ? [...ROUTE_MODULES, ...SPAN_MODULES] : [...ROUTE_MODULES];
}

/**
 * The instrumentations the agent runs, and only those. Hono always (its route names
 * the `route` label). With tracing on: outgoing HTTP (incoming requests are the agent's
 * own server instrumentation, which costs far less than instrumentation-http's), fetch
 * through undici, pg, ioredis and pino. Those make spans only, so with tracing off they
 * are not even loaded: each costs start-up time and a patch on a hot path.
 */
export function createInstrumentations(options: InstrumentationOptions): Instrumentation[] {
  const list: Instrumentation[] = [
    new HonoInstrumentation({ reservedPaths: options.reservedPaths, onReservedRoute: options.onReservedRoute }),
  ];
  if (!options.tracing) return list;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  list.push(
    new HttpInstrumentation({
      disableIncomingRequestInstrumentation: true,
      startOutgoingSpanHook: (options) => httpClientStartAttributes(options as Parameters<typeof httpClientStartAttributes>[0]),
    }),
    new UndiciInstrumentation({
      startSpanHook: (request) => undiciStartAttributes(request),
      requestHook: (span, request) => {
        const name = jsonRpcSpanName(request.method);
        if (name !== undefined) span.updateName(name);
      },
    }),
    new PgInstrumentation(),
    new IORedisInstrumentation(),
    new PinoInstrumentation({
      // Logs stay on stdout; shipping them over OTLP is not asked for.
      disableLogSending: true,
      // The app's own pino loggers get the request id too, next to trace_id and span_id.
      logHook: (_span, record) => {
        const state = activeRequestState(context.active());
        if (state !== undefined) record.reqId = state.requestId;
      },
    }),
  );
  return list;
}
