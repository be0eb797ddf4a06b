import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { HonoInstrumentation } from './hono/index.js';

/** Modules the ESM hook must intercept for these instrumentations (and nothing else). */
export const INSTRUMENTED_MODULES = ['hono', 'pg', 'pg-pool', 'ioredis', 'pino', 'http', 'https'];

/** What the instrumentations need from the agent. */
export interface InstrumentationOptions {
  /** Paths the agent answers itself on the app's port. */
  readonly reservedPaths: string[];
  readonly onReservedRoute: (method: string, path: string) => void;
}

/**
 * The instrumentations the agent runs, and only those: outgoing HTTP (incoming
 * requests are the agent's own server instrumentation, which costs far less than
 * instrumentation-http's), fetch through undici, pg, ioredis, pino and Hono.
 */
export function createInstrumentations(options: InstrumentationOptions): Instrumentation[] {
  return [
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    new UndiciInstrumentation(),
    new PgInstrumentation(),
    new IORedisInstrumentation(),
    new PinoInstrumentation(),
    new HonoInstrumentation({ reservedPaths: options.reservedPaths, onReservedRoute: options.onReservedRoute }),
  ];
}
