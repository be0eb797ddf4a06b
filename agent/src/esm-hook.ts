import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';

const HOOK_REGISTERED = Symbol.for('twinkle.agent.esm-hook');

interface SyncHooks {
  supportsSyncHooks(): boolean;
  register(options: { include: string[] }): void;
}

/**
 * Registers import-in-the-middle once, before any instrumented module loads, so
 * modules that an ESM app `import`s are patched like `require`d ones. Only `include`d
 * modules are intercepted; everything else loads untouched. Where Node supports
 * synchronous in-thread hooks (`module.registerHooks`, Node >= 22.22.3 / 24.11.1) they
 * are used: no loader thread, no per-module round trip. Older Node gets the
 * off-thread `module.register` loader.
 */
export function registerEsmHook(include: string[]): 'sync' | 'async' | 'already' {
  const g = globalThis as { [HOOK_REGISTERED]?: boolean };
  if (g[HOOK_REGISTERED]) return 'already';
  g[HOOK_REGISTERED] = true;
  // require(esm): import-in-the-middle ships these entries as .mjs only.
  const sync = require('import-in-the-middle/register-hooks.mjs') as SyncHooks;
  if (sync.supportsSyncHooks()) {
    sync.register({ include });
    return 'sync';
  }
  nodeModule.register('import-in-the-middle/hook.mjs', pathToFileURL(__filename), { data: { include } });
  return 'async';
}
