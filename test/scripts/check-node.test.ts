/**
 * In a new shell the machine's own `node` is the older one (Debian's Node 20 here), until
 * `source .ci/setup.sh` puts Node 24 first on PATH. There `npm run load`, `npm start` (and
 * every script that builds first) say so in one line, naming that command, instead of
 * Node's ERR_UNKNOWN_FILE_EXTENSION on a .ts file.
 */
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findOldNode } from '../helpers/old-node.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const old = findOldNode();

/** `npm run <script>` as a new shell runs it: the old Node first on PATH, nothing of the npm run around the tests. */
function npmRun(script: string): Promise<{ code: number; lines: string[] }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  env.PATH = `${dirname(old.path)}:${env.PATH}`;
  return new Promise((resolve) => {
    execFile('npm', ['run', script], { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const lines = `${stdout}\n${stderr}`.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('> '));
      resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code), lines });
    });
  });
}

describe(`npm scripts on ${old.version}, older than the project needs`, () => {
  it.each(['load', 'start', 'build'])('npm run %s says "run `source .ci/setup.sh`" in one line and stops', async (script) => {
    const { code, lines } = await npmRun(script);
    expect(code).toBe(1);
    expect(lines).toEqual([`Node ${old.version} is older than this project needs (>=22.15): run \`source .ci/setup.sh\` (it puts Node 24 first on PATH), then this command again`]);
  });
});
