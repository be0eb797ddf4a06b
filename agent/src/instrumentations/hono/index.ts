export { HonoInstrumentation } from './instrumentation.js';
export type { HonoInstrumentationConfig } from './types.js';
