/**
 * `npx twinkle-agent doctor`, the real command (the bin npm links), against real
 * endpoints on loopback: each check passes and fails as it should, with the right line
 * and exit code, within its time bound.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/loopback-server.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { APP_NODE } from '../helpers/spawn-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'node_modules/.bin/twinkle-agent');
const DSN = 'https://0123456789abcdef0123456789abcdef@o1.ingest.example.com/42';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the command in `cwd` with a clean OTEL/SENTRY environment plus `env`. */
function doctor(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('SENTRY_') && k !== 'LOG_LEVEL') clean[k] = v;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // The linked bin, run by the Node under test.
    const child = spawn(APP_NODE, [BIN, ...args], { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

const problems = (run: Run): string[] => run.stdout.split('\n').filter((l) => l.startsWith('problem: ')).map((l) => l.slice('problem: '.length));

let receiver: OtlpReceiver | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = undefined;
});

describe('twinkle-agent doctor', () => {
  it('says all is well and exits 0 when every endpoint answers, the listener can bind and the DSN is valid', async () => {
    receiver = await startOtlpReceiver();
    const port = await freePort();
    const run = await doctor(['doctor'], {
      OTEL_SERVICE_NAME: 'checked',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      SENTRY_DSN: DSN,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('serviceName: checked');
    expect(run.stdout).toMatch(new RegExp(`ok   otlp traces: ${receiver.url}/v1/traces took an empty traces export \\(200\\)`));
    expect(run.stdout).toMatch(new RegExp(`ok   otlp logs: ${receiver.url}/v1/logs took an empty logs export \\(200\\)`));
    expect(run.stdout).toContain(`ok   prometheus listener: 127.0.0.1:${port} can be bound`);
    expect(run.stdout).toContain('ok   sentry: SENTRY_DSN is valid (https://***@o1.ingest.example.com/42)');
    expect(run.stdout).toMatch(/^node: v\d+\.\d+\.\d+ \(supported\), ESM hook: (sync|async) /m);
    expect(run.stdout).toMatch(/^ {2}hono +4\.\d+\.\d+ supported/m);
    expect(run.stdout.trim().endsWith('all is well')).toBe(true);
    // The key of the DSN is never printed.
    expect(run.stdout).not.toContain('0123456789abcdef0123456789abcdef');
    expect(receiver.requests).toBe(2);
  });

  it('--json gives the same report for scripts', async () => {
    receiver = await startOtlpReceiver();
    const run = await doctor(['doctor', '--json'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=top-secret-value' });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { problems: string[]; checks: Array<{ name: string; ok: boolean }>; config: Record<string, unknown>; node: { esmHook: string } };
    expect(report.problems).toEqual([]);
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['otlp traces', true],
      ['prometheus listener', true],
      ['sentry', true],
    ]);
    expect(report.config.otlpHeaders).toBe('set (not shown)');
    expect(run.stdout).not.toContain('top-secret-value');
  });

  it('a refused endpoint: its line, exit 1', async () => {
    const port = await freePort();
    const run = await doctor(['doctor'], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://user:pw@127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual([`traces endpoint http://127.0.0.1:${port}/v1/traces refused the connection (ECONNREFUSED)`]);
    expect(run.stdout).not.toContain('user:pw');
  });

  it('a hanging endpoint: its line, exit 1, within the time bound', async () => {
    receiver = await startOtlpReceiver({ hang: true });
    const run = await doctor(['doctor', '--timeout', '1000'], { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs` });
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual([`logs endpoint ${receiver.url}/v1/logs did not answer within 1000 ms`]);
    // The bound, plus the process's own start.
    expect(run.ms).toBeLessThan(1000 + 4000);
  });

  it('a malformed DSN: its line (without the value), exit 1', async () => {
    const run = await doctor(['doctor'], { OTEL_TRACES_EXPORTER: 'none', SENTRY_DSN: 'https://secretkey@no-project-id' });
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual(['SENTRY_DSN is not valid (accepted: https://<public key>@<host>/<project id>); Sentry would stay off']);
    expect(run.stdout).not.toContain('secretkey');
  });

  it('a Prometheus port in use: its line, exit 1', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const run = await doctor(['doctor'], { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) });
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual([`the Prometheus listener 127.0.0.1:${port} is in use by another process (OTEL_EXPORTER_PROMETHEUS_HOST / _PORT)`]);
  });

  it("with /metrics on the app's port, says it is reserved there", async () => {
    const run = await doctor(['doctor'], { OTEL_TRACES_EXPORTER: 'none' });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ok   prometheus listener: /metrics is answered on the app's own port, before the app sees it");
  });

  describe('libraries as they resolve from the current directory', () => {
    const folder = mkdtempSync(join(tmpdir(), 'twinkle-doctor-'));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it('an installed version the instrumentation does not support: its line, exit 1; a missing one is no problem', async () => {
      mkdirSync(join(folder, 'node_modules/pino'), { recursive: true });
      writeFileSync(join(folder, 'node_modules/pino/package.json'), JSON.stringify({ name: 'pino', version: '4.17.6', main: 'index.js' }));
      writeFileSync(join(folder, 'node_modules/pino/index.js'), 'module.exports = {};\n');
      const run = await doctor(['doctor'], { OTEL_TRACES_EXPORTER: 'none' }, folder);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^ {2}pino +4\.17\.6 NOT supported \(>=5\.14\.0 <11\)/m);
      expect(run.stdout).toMatch(/^ {2}hono +not installed/m);
      expect(problems(run)).toEqual(["pino 4.17.6 is installed, but pino's instrumentation supports >=5.14.0 <11: it will not be instrumented"]);
    });

    it('a contrib instrumentation named in the switches is looked at too; an unknown name is a problem', async () => {
      const run = await doctor(['doctor', '--json'], { OTEL_TRACES_EXPORTER: 'none', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'redis,nosuchlib' });
      const report = JSON.parse(run.stdout) as { problems: string[]; libraries: Array<{ library: string; version?: string; ok: boolean; instrumentation: string }> };
      expect(report.libraries.find((l) => l.library === '@redis/client')).toMatchObject({ instrumentation: 'redis', ok: true, version: expect.stringMatching(/^5\./) });
      expect(report.problems).toEqual([expect.stringMatching(/^OTEL_NODE_ENABLED_INSTRUMENTATIONS: "nosuchlib" is not built in/)]);
      expect(run.code).toBe(1);
    });
  });

  it('a usage error exits 2', async () => {
    const run = await doctor(['doctr']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: twinkle-agent doctor [--json] [--timeout <ms>]');
  });
});
