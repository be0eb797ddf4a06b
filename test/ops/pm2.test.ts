import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opsPath } from './helpers/paths.js';

/** The parts of a pm2 app the monitoring contract and promtail depend on. */
interface Pm2App {
  name: string;
  cwd: string;
  script: string;
  node_args: string;
  env: Record<string, string>;
  out_file: string;
  error_file: string;
}

const { apps } = createRequire(import.meta.url)(opsPath('ecosystem.config.cjs')) as { apps: Pm2App[] };

describe('ecosystem.config.cjs', () => {
  it('names the processes as `pm2 logs twinkle-api` expects', () => {
    expect(apps.map((app) => app.name)).toEqual(['twinkle-api', 'twinkle-facilitator']);
  });

  it.each([
    ['twinkle-api', '@twinkle/api', '3000'],
    ['twinkle-facilitator', '@twinkle/facilitator', '3001'],
  ])('starts %s from its package main with the agent preloaded', (name, packageName, port) => {
    const app = apps.find((a) => a.name === name);
    const pkg = JSON.parse(readFileSync(join(app?.cwd ?? '', 'package.json'), 'utf8')) as { name: string; main: string };
    expect(pkg.name).toBe(packageName);
    expect(`./${app?.script}`).toBe(pkg.main);
    expect(existsSync(join(app?.cwd ?? '', 'src/server.ts'))).toBe(true);
    expect(app?.node_args).toBe('--import @twinkle/agent');
    expect(app?.env).toEqual({ OTEL_SERVICE_NAME: name, PORT: port });
  });

  it("writes every log where promtail's scrape job reads", () => {
    const promtail = readFileSync(opsPath('promtail/promtail-config.yml'), 'utf8');
    expect(promtail).toContain('__path__: /var/log/twinkle/*.log');
    for (const file of apps.flatMap((app) => [app.out_file, app.error_file])) {
      expect(dirname(file)).toBe('/var/log/twinkle');
      expect(file).toMatch(/\.log$/);
    }
  });

  it('has a cluster-mode variant: the same apps, a worker per core, one log file per service', () => {
    const cluster = (createRequire(import.meta.url)(opsPath('ecosystem.cluster.config.cjs')) as { apps: Array<Pm2App & Record<string, unknown>> }).apps;
    expect(cluster.map(({ exec_mode, instances, merge_logs, ...app }) => ({ app, exec_mode, instances, merge_logs }))).toEqual(
      apps.map((app) => ({ app, exec_mode: 'cluster', instances: 'max', merge_logs: true })),
    );
  });
});
