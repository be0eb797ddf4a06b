/**
 * The temporary folder of a run (`npm start`, `npm run up`, a test run) is removed when the
 * run ends, normally or by a signal it handles; one left by a killed run is removed by the
 * next run of the same kind, and never one of a run still alive.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../../scripts/scratch-dir.ts', import.meta.url));
const PREFIX = `twinkle-scratch-probe${process.pid}`;

/** Starts a Node process that creates its scratch folder and does `then`; resolves with the folder once printed. */
async function run(then: string): Promise<{ path: string; pid: number; exited: Promise<void>; kill(signal: NodeJS.Signals): void }> {
  const code = `import { createScratchDir } from ${JSON.stringify(MODULE)};
const scratch = createScratchDir(${JSON.stringify(PREFIX)});
${then}
// Printed last: once the test reads it, any signal handler above is in place.
process.stdout.write(scratch.path + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const path = await new Promise<string>((resolve) => child.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(line.trim())));
  return { path, pid: child.pid!, exited, kill: (signal) => child.kill(signal) };
}

const ours = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`${PREFIX}-`));

describe('a run\'s temporary folder', () => {
  it('is made for the run alone (mode 0711) and removed when it exits', async () => {
    const probe = await run(`import { writeFileSync } from 'node:fs'; writeFileSync(scratch.path + '/file', 'x'); setTimeout(() => {}, 200);`);
    expect(probe.path.startsWith(join(tmpdir(), `${PREFIX}-${probe.pid}-`))).toBe(true);
    expect(statSync(probe.path).mode & 0o777).toBe(0o711);
    await probe.exited;
    expect(existsSync(probe.path)).toBe(false);
  });

  it('is removed when the run stops on Ctrl-C or SIGTERM it handles', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const probe = await run(`process.on('${signal}', () => process.exit(0)); setInterval(() => {}, 1000);`);
      expect(existsSync(probe.path)).toBe(true);
      probe.kill(signal);
      await probe.exited;
      expect(existsSync(probe.path), signal).toBe(false);
    }
  });

  it('left by a killed run, is removed by the next run; a live run\'s folder is kept', async () => {
    const killed = await run('setInterval(() => {}, 1000);');
    killed.kill('SIGKILL');
    await killed.exited;
    expect(existsSync(killed.path)).toBe(true);
    const living = await run('setInterval(() => {}, 1000);');
    // A folder of this test process (alive) under the same prefix.
    const mine = join(tmpdir(), `${PREFIX}-${process.pid}-mine`);
    mkdirSync(mine);
    const next = await run('');
    await next.exited;
    expect(existsSync(killed.path)).toBe(false);
    expect(existsSync(living.path)).toBe(true);
    expect(existsSync(mine)).toBe(true);
    living.kill('SIGKILL');
    await living.exited;
    await (await run('')).exited;
    expect(ours()).toEqual([`${PREFIX}-${process.pid}-mine`]);
    rmSync(mine, { recursive: true });
  });
});
