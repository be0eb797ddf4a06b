import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** Options of `HonoInstrumentation`. */
export interface HonoInstrumentationConfig extends InstrumentationConfig {
  /**
   * Paths answered before Hono sees the request (the agent's `/metrics`). An app route
   * registered at one of them is reported once as shadowed.
   * @default []
   */
  reservedPaths?: string[];
  /** Called once per app route at a reserved path. @default undefined */
  onReservedRoute?: (method: string, path: string) => void;
}
