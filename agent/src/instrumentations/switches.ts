/**
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS`, with the
 * names @opentelemetry/auto-instrumentations-node uses (no `@opentelemetry/instrumentation-`
 * prefix). The built-in set is the agent's own; any other name is a contrib
 * instrumentation the user installed, required by its package name only when named.
 */
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { AgentConfig } from '../config.js';

/** The instrumentations the agent ships, by the name the switches use. */
export const BUILT_IN_INSTRUMENTATIONS = ['hono', 'http', 'undici', 'pg', 'ioredis', 'pino'] as const;
export type BuiltInInstrumentation = (typeof BUILT_IN_INSTRUMENTATIONS)[number];

/** The package a name stands for, as auto-instrumentations-node spells it. */
export const instrumentationPackage = (name: string): string => `@opentelemetry/instrumentation-${name}`;

/** What the switches leave on. */
export interface InstrumentationSwitches {
  /** Built-in instrumentations left on (span-making ones still need tracing, see createInstrumentations). */
  readonly builtIn: ReadonlySet<BuiltInInstrumentation>;
  /** Contrib instrumentations named in the enabled list, by name, not loaded yet. */
  readonly contrib: readonly string[];
}

const isBuiltIn = (name: string): name is BuiltInInstrumentation => (BUILT_IN_INSTRUMENTATIONS as readonly string[]).includes(name);

/**
 * Which instrumentations run. Without an enabled list: the built-in set. With one: the
 * built-ins it names and every other name as a contrib instrumentation; `hono` stays on
 * unless disabled by name (it is the agent's own, and names the `route` label, not an
 * instrumentation auto-instrumentations-node has). The disabled list wins. A disabled
 * name that is neither built in nor enabled gets one line in `problems`.
 */
export function resolveSwitches(config: Pick<AgentConfig, 'enabledInstrumentations' | 'disabledInstrumentations'>, problems: string[]): InstrumentationSwitches {
  const enabled = config.enabledInstrumentations;
  const builtIn = new Set<BuiltInInstrumentation>(enabled === undefined ? BUILT_IN_INSTRUMENTATIONS : ['hono', ...enabled.filter(isBuiltIn)]);
  const contrib = (enabled ?? []).filter((name) => !isBuiltIn(name));
  for (const name of config.disabledInstrumentations) {
    if (isBuiltIn(name)) builtIn.delete(name);
    else if (contrib.includes(name)) contrib.splice(contrib.indexOf(name), 1);
    else
      problems.push(
        `OTEL_NODE_DISABLED_INSTRUMENTATIONS: "${name}" is not an instrumentation the agent runs (built in: ${BUILT_IN_INSTRUMENTATIONS.join(', ')}; others only when named in OTEL_NODE_ENABLED_INSTRUMENTATIONS); ignored`,
      );
  }
  return { builtIn, contrib };
}

/**
 * Where a contrib instrumentation is looked for: the current directory (the app's, as a
 * launcher starts it), the main script's folder, then beside the agent itself.
 */
function resolvers(): NodeJS.Require[] {
  const bases = [join(process.cwd(), 'package.json')];
  if (process.argv[1]) bases.push(process.argv[1]);
  bases.push(__filename);
  return bases.map((base) => createRequire(base));
}

/** A class among a module's exports that builds an instrumentation (`RedisInstrumentation`, ...). */
type ContribInstrumentation = Instrumentation & { getModuleDefinitions?(): Array<{ name: string }> };

function instrumentationClass(moduleExports: Record<string, unknown>): (new () => ContribInstrumentation) | undefined {
  for (const [key, value] of Object.entries(moduleExports)) {
    if (typeof value !== 'function' || !/Instrumentation$/.test(key)) continue;
    const proto = (value as { prototype?: Record<string, unknown> }).prototype;
    if (typeof proto?.enable === 'function' && typeof proto.getModuleDefinitions === 'function') return value as new () => ContribInstrumentation;
  }
  return undefined;
}

/** One contrib instrumentation, loaded and constructed (which hooks `require` of its library). */
export interface LoadedContrib {
  readonly name: string;
  readonly instrumentation: Instrumentation;
  /** The modules it patches: the ESM hook must intercept them too. */
  readonly modules: string[];
}

/**
 * Requires and constructs each named contrib instrumentation. One that is not installed
 * or does not load gets one line in `problems`; the rest run.
 */
export function loadContribInstrumentations(names: readonly string[], problems: string[]): LoadedContrib[] {
  const loaded: LoadedContrib[] = [];
  for (const name of names) {
    const pkg = instrumentationPackage(name);
    let moduleExports: Record<string, unknown> | undefined;
    let failure: string | undefined;
    for (const req of resolvers()) {
      let path: string;
      try {
        path = req.resolve(pkg);
      } catch {
        continue;
      }
      try {
        moduleExports = req(path) as Record<string, unknown>;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      break;
    }
    if (moduleExports === undefined) {
      problems.push(
        failure !== undefined
          ? `OTEL_NODE_ENABLED_INSTRUMENTATIONS: ${pkg} could not be loaded (${failure}); "${name}" skipped`
          : `OTEL_NODE_ENABLED_INSTRUMENTATIONS: "${name}" is not built in (${BUILT_IN_INSTRUMENTATIONS.join(', ')}) and ${pkg} is not installed (looked from ${process.cwd()}); skipped`,
      );
      continue;
    }
    const Ctor = instrumentationClass(moduleExports);
    if (Ctor === undefined) {
      problems.push(`OTEL_NODE_ENABLED_INSTRUMENTATIONS: ${pkg} exports no instrumentation class; "${name}" skipped`);
      continue;
    }
    try {
      const instrumentation = new Ctor();
      const modules = [...new Set(instrumentation.getModuleDefinitions?.().map((d) => d.name) ?? [])];
      loaded.push({ name, instrumentation, modules });
    } catch (err) {
      problems.push(`OTEL_NODE_ENABLED_INSTRUMENTATIONS: ${pkg} could not be started (${err instanceof Error ? err.message : String(err)}); "${name}" skipped`);
    }
  }
  return loaded;
}
