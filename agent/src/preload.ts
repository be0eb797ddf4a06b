/**
 * What `node --import @twinkle/agent` (or `--require`) loads first. The agent itself is
 * bundled into one file (`register.bundle.js`, esbuild from register.ts at build time):
 * resolving and reading a few hundred small modules was most of its start-up. This loads
 * that file with a V8 code cache, so a second start does not compile it again. Without
 * the bundle (a build that ran tsc only), or if anything about it fails, the unbundled
 * `register.js` runs instead. Nothing here throws into the host.
 */
import { hash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

const BUNDLE = join(__dirname, 'register.bundle.js');

/** Only the owner (or root) may have written what is about to become code of this process. */
function isTrusted(path: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  try {
    const stat = statSync(path);
    return (stat.uid === uid || stat.uid === 0) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Where code caches may be kept: beside the bundle, else a private folder in the temporary directory. */
function cacheDirs(): string[] {
  return [join(__dirname, '.v8-cache'), join(tmpdir(), `twinkle-agent-v8-cache-${process.getuid?.() ?? 'user'}`)];
}

/** Reads a cache from a trusted folder. */
function readCache(name: string): Buffer | undefined {
  for (const dir of cacheDirs()) {
    const file = join(dir, name);
    if (existsSync(file) && isTrusted(dir) && isTrusted(file)) {
      try {
        return readFileSync(file);
      } catch {
        // try the next place
      }
    }
  }
  return undefined;
}

/** Writes a cache to the first folder that takes it, atomically (a concurrent start reads all or nothing). */
function writeCache(name: string, data: Buffer): void {
  for (const dir of cacheDirs()) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!isTrusted(dir)) continue;
      const partial = join(dir, `${name}.${process.pid}.tmp`);
      const fd = openSync(partial, 'w', 0o600);
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
      renameSync(partial, join(dir, name));
      return;
    } catch {
      // read-only or not ours: try the next place, or run without a cache
    }
  }
}

/** Runs the bundle as a CommonJS module of its own; false when it could not even be compiled. */
function runBundle(): boolean {
  let source: string;
  let script: Script;
  let cached: Buffer | undefined;
  let name: string;
  try {
    source = readFileSync(BUNDLE, 'utf8');
    // V8 checks a cache against the source's length, not its content: the content's hash
    // names the file, with what else V8 checks (its version, the flags).
    name = `${hash('sha1', `${process.version}|${process.arch}|${process.execArgv.join(' ')}|${source}`)}.bin`;
    cached = readCache(name);
    // The bundle has no import(): see agent/scripts/bundle.mjs.
    script = new Script(Module.wrap(source), { filename: BUNDLE, cachedData: cached });
  } catch {
    return false;
  }
  const bundleModule = new Module(BUNDLE, module);
  bundleModule.filename = BUNDLE;
  bundleModule.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  run.call(bundleModule.exports, bundleModule.exports, Module.createRequire(BUNDLE), bundleModule, BUNDLE, __dirname);
  bundleModule.loaded = true;
  if (cached === undefined || script.cachedDataRejected) {
    try {
      writeCache(name, script.createCachedData());
    } catch {
      // no cache this time
    }
  }
  return true;
}

if (!existsSync(BUNDLE) || !runBundle()) require('./register.js');
