/**
 * `npm run up` as a person runs it (the Go binaries built): every component answers, traffic
 * shows up as a trace in Jaeger found by its request id and as series in Prometheus, and
 * Ctrl-C (SIGINT to the terminal's process group) stops every process it started, frees
 * every port and leaves no temporary folder.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, STACK, STACK_PORTS } from '../../scripts/stack-components.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/services.js';
import { findTraces, serviceOf } from './jaeger-api.js';
import { activeTargets, instantQuery } from './prometheus-api.js';
import { eventually } from './processes.js';

const API = 'http://127.0.0.1:3000';
const FACILITATOR = 'http://127.0.0.1:3001';
const ALL_PORTS = [...STACK_PORTS, 3000, 3001, 8545];

/** The pids of every process descending from `root` (by parent pid, whatever its process group). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parents) if (parent === pid) (found.push(child), walk(child));
  };
  walk(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('npm run up', () => {
  let up: ChildProcess;
  let output = '';
  let started: number[] = [];
  let scratch: string;

  beforeAll(async () => {
    const env: Record<string, string | undefined> = { ...process.env, REDIS_URL: TEST_REDIS_URL, DATABASE_URL: TEST_DATABASE_URL };
    for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
    // Its own process group, as a terminal gives a command: Ctrl-C is SIGINT to the group.
    up = spawn('npm', ['run', 'up'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
    up.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
    await eventually('npm run up printed its banner', async () => {
      if (up.exitCode !== null) throw new Error(`npm run up exited ${up.exitCode}: ${output.slice(-3000)}`);
      return output.includes('[up] Ctrl-C stops everything it started') ? true : undefined;
    }, 110_000);
    scratch = /\[up\] tool logs +(\S+)\/\{/.exec(output)![1]!;
    started = descendants(up.pid!);
  }, 120_000);

  afterAll(async () => {
    // Only when a test failed half-way: nothing of this run may outlive it.
    for (const pid of [up?.pid, ...started]) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('starts every component on 127.0.0.1 and says where each answers', async () => {
    for (const line of ['[up] API          http://127.0.0.1:3000', '[up] Facilitator  http://127.0.0.1:3001', `[up] Jaeger       ${STACK.jaeger}`, `[up] Prometheus   ${STACK.prometheus}/`, 'npm run load']) {
      expect(output).toContain(line);
    }
    expect(output).toMatch(/\[up\] traces +OTLP to http:\/\/127\.0\.0\.1:4318\/v1\/traces: a receiver answers there/);
    expect(await (await fetch(`${API}/health`)).json()).toMatchObject({ status: 'healthy' });
    expect(await (await fetch(`${FACILITATOR}/health`)).json()).toMatchObject({ status: 'healthy' });
    expect((await fetch(`${STACK.jaeger}/api/services`)).ok).toBe(true);
    expect((await fetch(`${STACK.prometheus}/-/ready`)).ok).toBe(true);
    expect((await fetch(STACK.collectorMetrics)).ok).toBe(true);
    const chain = await fetch('http://127.0.0.1:8545', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' });
    expect((await chain.json()).result).toBe('0x7a69');
    // Ours: jaeger, the collector, Prometheus, Anvil (wrapper and binary), both services.
    expect(started.length).toBeGreaterThanOrEqual(7);
    expect(existsSync(scratch)).toBe(true);
  });

  it("traffic shows up: one request's trace in Jaeger by its request id, and its series in Prometheus", async () => {
    const load = spawn(process.execPath, [join(ROOT, 'scripts/load.ts')], { env: { ...process.env, LOAD_SECONDS: '6' }, stdio: 'ignore' });
    const requestId = `up-${Date.now()}`;
    const response = await fetch(`${API}/payments?limit=1`, { headers: { 'x-request-id': requestId } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const trace = await eventually(`the trace of ${requestId} in Jaeger`, async () => (await findTraces(STACK.jaeger, 'twinkle-api', { 'twinkle.request_id': requestId }))[0], 30_000);
    const server = trace.spans.find((s) => s.operationName === 'GET /payments')!;
    expect(server, trace.spans.map((s) => s.operationName).join(', ')).toBeDefined();
    expect(serviceOf(trace, server)).toBe('twinkle-api');
    await new Promise((resolve) => load.once('exit', resolve));
    // Prometheus scrapes every 15 s: both targets up, and the request's series there.
    await eventually('both services up in Prometheus', async () => {
      const targets = (await activeTargets(STACK.prometheus)).filter((t) => t.labels.job?.startsWith('twinkle-') && t.health === 'up');
      return targets.length === 2 ? true : undefined;
    }, 40_000);
    const series = await eventually('http_requests_total of GET /payments in Prometheus', async () => {
      const result = await instantQuery(STACK.prometheus, 'http_requests_total{job="twinkle-api",method="GET",route="/payments",status_code="200"}');
      return result.length > 0 ? result : undefined;
    }, 40_000);
    expect(Number(series[0]!.value[1])).toBeGreaterThanOrEqual(1);
  });

  it('says how long the tools took to answer only once they answer', () => {
    const banner = output.slice(output.indexOf('[up] '));
    const timing = /\[up\] Jaeger, the collector and Prometheus answering after (\d+\.\d) s\n/.exec(banner);
    expect(timing, banner).not.toBeNull();
    // After the three tools' logs exist (they are started before it), before the services' lines.
    expect(banner.indexOf(timing![0])).toBeLessThan(banner.indexOf('[up] API'));
    expect(output).not.toContain('ready in 0.0 s');
  });

  it('prints links that answer and commands that work as printed', { timeout: 120_000 }, async () => {
    const lines = output.split('\n').filter((l) => l.startsWith('[up] '));
    // Links: every http URL on the lines that name a place to look.
    const places = lines.filter((l) => /^\[up\] (API|Facilitator|Jaeger|Prometheus) /.test(l) || l.includes('its own metrics'));
    const links = places.flatMap((l) => l.match(/http:\/\/127\.0\.0\.1:\d+[^\s,;)]*/g) ?? []).filter((url) => !url.includes(':4318'));
    expect(links.length).toBeGreaterThanOrEqual(6);
    for (const url of links) expect((await fetch(url)).status, url).toBe(200);
    for (const path of ['/metrics', '/health']) expect((await fetch(`${API}${path}`)).status, path).toBe(200);
    const prometheusLine = places.find((l) => l.startsWith('[up] Prometheus'))!;
    expect(prometheusLine).toMatch(/\/(classic\/)?targets .*\/(classic\/)?alerts /);

    // Commands: each `curl` line, run by a shell as a person pastes it.
    const commands = lines.flatMap((l) => l.slice('[up] '.length).split(/\s{3,}/)).filter((part) => part.startsWith('curl '));
    expect(commands).toHaveLength(3);
    const run = (command: string): Promise<string> =>
      new Promise((resolve, reject) => execFile('sh', ['-c', command], { timeout: 15_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))));
    const header = await run(commands[0]!);
    const requestId = /x-request-id: *(\S+)/i.exec(header)?.[1];
    expect(requestId, header).toBeDefined();
    const trace = await eventually('the printed Jaeger command finds that request', async () => {
      const body = JSON.parse(await run(commands[1]!.replace('<the id>', requestId!))) as { data: Array<{ traceID: string }> };
      return body.data.length > 0 ? body.data[0] : undefined;
    }, 30_000);
    expect(trace.traceID).toMatch(/^[0-9a-f]+$/);
    // rate() needs two scrapes of a series (15 s apart): wait until the API's /payments has them.
    const result = await eventually('the printed PromQL command prints the rate of the API\'s /payments', async () => {
      const body = JSON.parse(await run(commands[2]!)) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      expect(body.status).toBe('success');
      return body.data.result.find((r) => r.metric.job === 'twinkle-api' && r.metric.route === '/payments');
    }, 60_000);
    expect(Number.isFinite(Number(result.value[1]))).toBe(true);
  });

  it('Ctrl-C stops everything it started, in order: no process left, every port free, no temporary folder', async () => {
    const upScript = started.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scripts/up.ts'))!;
    expect(upScript).toBeDefined();
    process.kill(-up.pid!, 'SIGINT');
    // npm itself ends on the signal at once; the command behind it stops the rest, in order.
    await eventually('npm run up said it stopped', async () => (output.includes('[up] stopped; nothing left running') ? true : undefined), 90_000);
    await eventually('the up script exited', async () => (alive(upScript) ? undefined : true), 10_000);
    await eventually('every process npm run up started has exited', async () => (started.filter(alive).length === 0 ? true : undefined), 20_000);
    const stops = [...output.matchAll(/\[up\] stopped (\w+)/g)].map((m) => m[1]);
    expect(stops.slice(0, 2).sort()).toEqual(['api', 'facilitator']);
    expect(stops.slice(2)).toEqual(['anvil', 'prometheus', 'collector', 'jaeger']);
    for (const port of ALL_PORTS) expect(await portFree(port), `port ${port}`).toBe(true);
    expect(existsSync(scratch)).toBe(false);
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('twinkle-up-'))).toEqual([]);
  });
});
