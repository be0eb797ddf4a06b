/**
 * The libraries the agent's instrumentations patch (and any contrib instrumentation the
 * switches name), as they resolve from a folder: installed version and whether the
 * instrumentation supports it, by the ranges the instrumentations themselves declare.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AgentConfig } from '../config.js';
import { HonoInstrumentation } from '../instrumentations/hono/index.js';
import { loadContribInstrumentations, resolveSwitches } from '../instrumentations/switches.js';
import { satisfies } from './semver-range.js';

/** One instrumented library as found from the folder. */
export interface LibraryStatus {
  /** The switch name of the instrumentation (`pg`, `redis`, ...). */
  readonly instrumentation: string;
  /** The module it patches. */
  readonly library: string;
  /** Installed version; undefined when the module does not resolve from the folder. */
  readonly version: string | undefined;
  /** The versions the instrumentation supports. */
  readonly supported: readonly string[];
  /** Whether it runs: switched off by the instrumentation switches, or on. */
  readonly enabled: boolean;
}

interface Definitions {
  getModuleDefinitions(): Array<{ name: string; supportedVersions: string[] }>;
}

/** Built-in instrumentations by switch name, constructed disabled (nothing is patched). */
function builtInDefinitions(): Array<[string, Definitions]> {
  const load = <T>(pkg: string, name: string): new (config: { enabled: false }) => T =>
    (require(pkg) as Record<string, new (config: { enabled: false }) => T>)[name];
  return [
    ['hono', new HonoInstrumentation({ enabled: false }) as unknown as Definitions],
    ['pg', new (load<Definitions>('@opentelemetry/instrumentation-pg', 'PgInstrumentation'))({ enabled: false })],
    ['ioredis', new (load<Definitions>('@opentelemetry/instrumentation-ioredis', 'IORedisInstrumentation'))({ enabled: false })],
    ['pino', new (load<Definitions>('@opentelemetry/instrumentation-pino', 'PinoInstrumentation'))({ enabled: false })],
  ];
}

/** The version of `library` installed as seen from `folder`, or undefined. */
function installedVersion(library: string, folder: string): string | undefined {
  const req = createRequire(join(folder, 'package.json'));
  try {
    return (JSON.parse(readFileSync(req.resolve(`${library}/package.json`), 'utf8')) as { version?: string }).version;
  } catch {
    // Packages whose exports hide package.json: find it beside the entry point.
  }
  try {
    let dir = req.resolve(library);
    for (let i = 0; i < 6; i++) {
      dir = join(dir, '..');
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === library) return pkg.version;
      } catch {
        // keep climbing
      }
    }
  } catch {
    // not installed
  }
  return undefined;
}

/** The instrumented libraries as seen from `folder`; contrib instrumentations that cannot load add lines to `problems`. */
export function instrumentedLibraries(
  config: Pick<AgentConfig, 'enabledInstrumentations' | 'disabledInstrumentations'>,
  folder: string,
  problems: string[],
): LibraryStatus[] {
  const switches = resolveSwitches(config, problems);
  const sources: Array<[string, Definitions]> = [...builtInDefinitions()];
  for (const contrib of loadContribInstrumentations(switches.contrib, problems)) {
    contrib.instrumentation.disable();
    sources.push([contrib.name, contrib.instrumentation as unknown as Definitions]);
  }
  const out: LibraryStatus[] = [];
  for (const [instrumentation, definitions] of sources) {
    const enabled = switches.builtIn.has(instrumentation as never) || switches.contrib.includes(instrumentation);
    for (const d of definitions.getModuleDefinitions()) {
      if (out.some((o) => o.library === d.name)) continue;
      out.push({ instrumentation, library: d.name, version: installedVersion(d.name, folder), supported: d.supportedVersions, enabled });
    }
  }
  return out;
}

/** Whether an installed library's version is one its instrumentation supports. */
export function isSupported(status: LibraryStatus): boolean {
  return status.version !== undefined && status.supported.some((range) => satisfies(status.version!, range));
}
