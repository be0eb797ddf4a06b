import { describe, expect, it } from 'vitest';
import { instrumentedModules } from '../../../agent/src/instrumentations/index.js';
import { BUILT_IN_INSTRUMENTATIONS, resolveSwitches } from '../../../agent/src/instrumentations/switches.js';

const resolve = (enabled: string[] | undefined, disabled: string[] = []) => {
  const problems: string[] = [];
  const switches = resolveSwitches({ enabledInstrumentations: enabled, disabledInstrumentations: disabled }, problems);
  return { builtIn: [...switches.builtIn].sort(), contrib: switches.contrib, problems };
};

describe('resolveSwitches (auto-instrumentations-node semantics)', () => {
  it('runs the built-in set without an enabled list', () => {
    expect(resolve(undefined)).toEqual({ builtIn: [...BUILT_IN_INSTRUMENTATIONS].sort(), contrib: [], problems: [] });
  });

  it('with an enabled list runs only what it names, plus hono, and takes other names as contrib instrumentations', () => {
    expect(resolve(['pg', 'mysql2'])).toEqual({ builtIn: ['hono', 'pg'], contrib: ['mysql2'], problems: [] });
  });

  it('lets the disabled list win, hono included', () => {
    expect(resolve(['pg', 'mysql2'], ['mysql2', 'hono'])).toEqual({ builtIn: ['pg'], contrib: [], problems: [] });
    expect(resolve(undefined, ['undici']).builtIn).not.toContain('undici');
  });

  it('says once that a disabled name is not running', () => {
    expect(resolve(undefined, ['kafkajs']).problems).toEqual([
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS: "kafkajs" is not an instrumentation the agent runs (built in: hono, http, undici, pg, ioredis, pino; others only when named in OTEL_NODE_ENABLED_INSTRUMENTATIONS); ignored',
    ]);
  });
});

describe('instrumentedModules', () => {
  it('hooks only the modules of what runs', () => {
    const all = new Set(BUILT_IN_INSTRUMENTATIONS);
    expect(instrumentedModules({ tracing: false, logSending: false, enabled: all })).toEqual(['hono']);
    expect(instrumentedModules({ tracing: false, logSending: true, enabled: all })).toEqual(['hono', 'pino']);
    expect(instrumentedModules({ tracing: true, logSending: false, enabled: new Set(['hono', 'pg'] as const) }, ['@redis/client'])).toEqual([
      'hono',
      'pg',
      'pg-pool',
      '@redis/client',
    ]);
  });
});
