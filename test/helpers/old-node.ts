import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isSupportedNode } from '../../agent/src/node-floor.js';

/** A Node binary older than the agent supports, and its version. */
export interface OldNode {
  readonly path: string;
  readonly version: string;
}

function versionOf(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The machine's own Node when it is older than the floor: `TWINKLE_OLD_NODE` (which
 * `.ci/setup.sh` exports: the `node` found on PATH below the floor, Debian's /usr/bin/node
 * on a machine of this kind, or Node 20 from the npm registry where there is none), else
 * the first `node` on PATH, in /usr/bin or /usr/local/bin below the floor. Throws, naming
 * the command that provides one, when there is none.
 */
export function findOldNode(env: NodeJS.ProcessEnv = process.env): OldNode {
  const candidates = [
    env.TWINKLE_OLD_NODE,
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'node')),
    '/usr/bin/node',
    '/usr/local/bin/node',
  ].filter((path): path is string => Boolean(path));
  for (const path of candidates) {
    const version = versionOf(path);
    if (version !== undefined && !isSupportedNode(version)) return { path, version };
  }
  throw new Error('no Node older than the agent supports on this machine: run `source .ci/setup.sh` (it exports TWINKLE_OLD_NODE)');
}
