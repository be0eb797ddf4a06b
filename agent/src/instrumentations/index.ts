import { context } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { activeRequestState } from '../server/request-state.js';
import { httpClientStartAttributes, jsonRpcSpanName, undiciStartAttributes } from './client-span-hooks.js';
import { HonoInstrumentation } from './hono/index.js';
import { BUILT_IN_INSTRUMENTATIONS, type BuiltInInstrumentation } from './switches.js';

/** Modules each built-in instrumentation patches; the ESM hook intercepts only these (undici is hooked through diagnostics channels). */
const MODULES: Record<BuiltInInstrumentation, string[]> = {
  hono: ['hono'],
  http: ['http', 'https'],
  undici: [],
  pg: ['pg', 'pg-pool'],
  ioredis: ['ioredis'],
  pino: ['pino'],
};

/** What the instrumentations need from the agent. */
export interface InstrumentationOptions {
  /** Whether spans are exported at all; without tracing, span-only instrumentations are not loaded. */
  readonly tracing: boolean;
  /** Whether pino lines go over OTLP too (`OTEL_LOGS_EXPORTER=otlp`): instrumentation-pino then sends the app's own loggers' lines. */
  readonly logSending: boolean;
  /** The built-in instrumentations the switches leave on. @default all */
  readonly enabled?: ReadonlySet<BuiltInInstrumentation>;
  /** Contrib instrumentations the user named, already constructed (span-making: only with tracing). */
  readonly contrib?: readonly Instrumentation[];
  /** Paths the agent answers itself on the app's port. */
  readonly reservedPaths: string[];
  readonly onReservedRoute: (method: string, path: string) => void;
}

/** The built-in instrumentations that run for these options. */
function running(options: Pick<InstrumentationOptions, 'tracing' | 'logSending' | 'enabled'>): Set<BuiltInInstrumentation> {
  const enabled = options.enabled ?? new Set(BUILT_IN_INSTRUMENTATIONS);
  return new Set(
    BUILT_IN_INSTRUMENTATIONS.filter(
      (name) => enabled.has(name) && (name === 'hono' || options.tracing || (name === 'pino' && options.logSending)),
    ),
  );
}

/** The modules the ESM hook must intercept for `createInstrumentations(options)`, and nothing else. */
export function instrumentedModules(
  options: Pick<InstrumentationOptions, 'tracing' | 'logSending' | 'enabled'>,
  contribModules: readonly string[] = [],
): string[] {
  const modules = [...running(options)].flatMap((name) => MODULES[name]);
  return options.tracing ? [...modules, ...contribModules] : modules;
}

/**
 * The instrumentations the agent runs, and only those. Hono always unless switched off
 * (its route names the `route` label). With tracing on: outgoing HTTP (incoming requests
 * are the agent's own server instrumentation, which costs far less than
 * instrumentation-http's), fetch through undici, pg, ioredis, pino and the contrib ones
 * named. Those make spans only, so with tracing off they are not even loaded: each costs
 * start-up time and a patch on a hot path. pino also runs without tracing when its lines
 * go over OTLP.
 */
export function createInstrumentations(options: InstrumentationOptions): Instrumentation[] {
  const on = running(options);
  const list: Instrumentation[] = [];
  if (on.has('hono')) list.push(new HonoInstrumentation({ reservedPaths: options.reservedPaths, onReservedRoute: options.onReservedRoute }));
  if (on.has('http')) {
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    list.push(
      new HttpInstrumentation({
        disableIncomingRequestInstrumentation: true,
        startOutgoingSpanHook: (options) => httpClientStartAttributes(options as Parameters<typeof httpClientStartAttributes>[0]),
      }),
    );
  }
  if (on.has('undici')) {
    const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
    list.push(
      new UndiciInstrumentation({
        startSpanHook: (request) => undiciStartAttributes(request),
        requestHook: (span, request) => {
          const name = jsonRpcSpanName(request.method);
          if (name !== undefined) span.updateName(name);
        },
      }),
    );
  }
  if (on.has('pg')) {
    const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
    list.push(new PgInstrumentation());
  }
  if (on.has('ioredis')) {
    const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
    list.push(new IORedisInstrumentation());
  }
  if (on.has('pino')) {
    const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
    list.push(
      new PinoInstrumentation({
        // With OTEL_LOGS_EXPORTER=otlp the app's own loggers' lines go to the global LoggerProvider too.
        disableLogSending: !options.logSending,
        // The app's own pino loggers get the request id too, next to trace_id and span_id.
        logHook: (_span, record) => {
          const state = activeRequestState(context.active());
          if (state !== undefined) record.reqId = state.requestId;
        },
      }),
    );
  }
  if (options.tracing) list.push(...(options.contrib ?? []));
  return list;
}
