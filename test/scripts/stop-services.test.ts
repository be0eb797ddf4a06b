/**
 * `.ci/stop-services.sh` stops the Redis and PostgreSQL that `.ci/services.sh` (run by
 * `source .ci/setup.sh`) started, and nothing else. Run here on ports and a folder of the
 * test's own, so the shared servers other tests use are never touched.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, freePorts } from '../helpers/loopback-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const state = mkdtempSync(join(tmpdir(), 'twinkle-services-'));
// PostgreSQL's user must reach its folder inside (services.sh gives it $state/pg).
chmodSync(state, 0o711);
const ports = { redis: 0, pg: 0, foreign: 0 };

function bash(script: string): Promise<string> {
  const env = { ...process.env, TWINKLE_SERVICES_DIR: state, TWINKLE_REDIS_PORT: String(ports.redis), TWINKLE_PG_PORT: String(ports.pg) };
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${script}: ${error.message}\n${stdout}${stderr}`)) : resolve(stdout)));
  });
}

const redisAnswers = (port: number): boolean => {
  try {
    return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' }).trim() === 'PONG';
  } catch {
    return false;
  }
};
const pgAnswers = (port: number): Promise<boolean> => bash(`pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"; "$pg_bin/pg_isready" -h 127.0.0.1 -p ${port} >/dev/null && echo yes || echo no`).then((out) => out.trim() === 'yes');

afterAll(async () => {
  // Whatever a failed test left running.
  for (const port of [ports.redis, ports.foreign]) if (port !== 0) spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
  await bash('./.ci/stop-services.sh').catch(() => undefined);
  rmSync(state, { recursive: true, force: true });
});

describe('.ci/stop-services.sh', () => {
  it('stops the Redis and PostgreSQL that services.sh started, and says so; then finds nothing to stop', { timeout: 120_000 }, async () => {
    [ports.redis, ports.pg] = (await freePorts(2)) as [number, number];
    const started = await bash('source .ci/services.sh');
    expect(started).toContain(`services: starting Redis on 127.0.0.1:${ports.redis}`);
    expect(started).toContain(`services: starting PostgreSQL on 127.0.0.1:${ports.pg}`);
    expect(redisAnswers(ports.redis)).toBe(true);
    expect(await pgAnswers(ports.pg)).toBe(true);

    expect((await bash('./.ci/stop-services.sh')).split('\n').filter(Boolean)).toEqual([
      `services: stopped Redis on 127.0.0.1:${ports.redis}`,
      `services: stopped PostgreSQL on 127.0.0.1:${ports.pg} (${state}/pg/data)`,
    ]);
    expect(redisAnswers(ports.redis)).toBe(false);
    expect(await pgAnswers(ports.pg)).toBe(false);

    expect((await bash('./.ci/stop-services.sh')).split('\n').filter(Boolean)).toEqual([
      `services: no Redis answers on 127.0.0.1:${ports.redis}`,
      `services: no PostgreSQL of ours runs from ${state}/pg/data`,
    ]);
  });

  it('leaves alone a Redis on its port that keeps its data elsewhere', async () => {
    ports.foreign = await freePort();
    const elsewhere = join(state, 'elsewhere');
    mkdirSync(elsewhere);
    execFileSync('redis-server', ['--bind', '127.0.0.1', '--port', String(ports.foreign), '--daemonize', 'yes', '--save', '', '--dir', elsewhere]);
    await expect.poll(() => redisAnswers(ports.foreign)).toBe(true);
    ports.redis = ports.foreign;
    const said = await bash('./.ci/stop-services.sh');
    expect(said).toContain(`services: the Redis on 127.0.0.1:${ports.foreign} keeps its data in ${elsewhere}, not ${state}/redis: not ours, left running`);
    expect(redisAnswers(ports.foreign)).toBe(true);
  });
});
