import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Go binaries otel-collector/scripts/build-binaries.sh builds. */
export interface GoBinaries {
  collector?: string;
  jaeger?: string;
}

/**
 * Where the built collector and Jaeger are: `TWINKLE_COLLECTOR_BIN` / `TWINKLE_JAEGER_BIN`,
 * else the `binaries.env` the build script writes into its cache folder. A binary that
 * is not there is left out, and a caller says which command builds it.
 */
export function findGoBinaries(env: NodeJS.ProcessEnv = process.env): GoBinaries {
  const cache = env.TWINKLE_BIN_CACHE ?? join(homedir(), '.cache', 'twinkle-bin');
  const recorded = new Map<string, string>();
  const file = join(cache, 'binaries.env');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) recorded.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
  }
  const pick = (key: string): string | undefined => {
    const path = env[key] || recorded.get(key);
    return path && existsSync(path) ? path : undefined;
  };
  return { collector: pick('TWINKLE_COLLECTOR_BIN'), jaeger: pick('TWINKLE_JAEGER_BIN') };
}

/** `path`, or an error naming the command that builds the binary. */
export function requireBinary(path: string | undefined, what: string): string {
  if (path === undefined) throw new Error(`${what} is not built: run otel-collector/scripts/build-binaries.sh (npm test runs it first)`);
  return path;
}
