/**
 * The same Hono app, bare and under @twinkle/agent, in one run on this machine:
 * rounds interleave the scenarios (noise on a shared 2-core machine moves absolute
 * figures between runs; ratios within a run are what compare). Server on core 0, load
 * from a separate process on core 1, over loopback. Prints requests/s, p99, start-up
 * to first 200 and RSS after load, each beside bare, and the targets of the issue.
 *
 *   npm run bench                    # 5 rounds x 10 s
 *   BENCH_ROUNDS=3 BENCH_SECONDS=5 npm run bench
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runLoad, LOAD_TOOL, type LoadResult } from './lib/load.ts';
import { describeMachine } from './lib/machine.ts';
import { startServer } from './lib/server.ts';
import { median } from './lib/stats.ts';

/** Inside a network namespace with only loopback, nothing the agent does can leave the machine. */
if (process.env.BENCH_IN_NETNS !== '1' && process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${self}"`],
    { stdio: 'inherit', env: { ...process.env, BENCH_IN_NETNS: '1' } },
  );
  process.exit(r.status ?? 1);
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const APP = fileURLToPath(new URL('./app.mjs', import.meta.url));
const PATH = '/payments/1';
const SINK = fileURLToPath(new URL('./otlp-sink.mjs', import.meta.url));
const SINK_PORT = 4399;

interface Scenario {
  readonly name: string;
  readonly nodeArgs: string[];
  readonly env: Record<string, string>;
}

const baseEnv: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') baseEnv[k] = v;

const allScenarios: Scenario[] = [
  { name: 'bare', nodeArgs: [], env: baseEnv },
  {
    // Issue 2's targets: metrics only. LOG_LEVEL=warn leaves out the access log, which the
    // bare app does not write either.
    name: 'agent, traces off',
    nodeArgs: ['--import', '@twinkle/agent'],
    env: { ...baseEnv, OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'warn' },
  },
  {
    // Issue 3's targets: every request sampled and exported over OTLP/HTTP (protobuf) to
    // a local receiver, with the access log written (to /dev/null).
    name: 'agent, traced',
    nodeArgs: ['--import', '@twinkle/agent'],
    env: {
      ...baseEnv,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${SINK_PORT}`,
    },
  },
];

/** BENCH_SCENARIOS="bare,agent, traces off" runs a subset (bare is always kept as the baseline). */
const only = process.env.BENCH_SCENARIOS?.split(';').map((s) => s.trim());
const scenarios = only ? allScenarios.filter((s) => s.name === 'bare' || only.includes(s.name)) : allScenarios;

interface RoundResult extends LoadResult {
  readonly startupMs: number;
  readonly rssMb: number;
}

async function runOnce(scenario: Scenario, port: number): Promise<RoundResult> {
  const server = await startServer({ script: APP, nodeArgs: scenario.nodeArgs, env: scenario.env, port, core: 0, path: PATH, cwd: REPO });
  try {
    await runLoad(`http://127.0.0.1:${port}${PATH}`, { seconds: 2, connections: CONNECTIONS, core: 1 });
    const load = await runLoad(`http://127.0.0.1:${port}${PATH}`, { seconds: SECONDS, connections: CONNECTIONS, core: 1 });
    return { ...load, startupMs: server.startupMs, rssMb: server.rssMb() };
  } finally {
    await server.stop();
  }
}

/** The receiver shares core 1 with the load generator, at the lowest priority: on a real deployment it runs elsewhere. */
async function startSink(): Promise<() => void> {
  const sink = spawn('taskset', ['-c', '1', 'nice', '-n', '19', process.execPath, SINK], {
    env: { ...baseEnv, PORT: String(SINK_PORT) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => sink.stderr!.once('data', () => resolve()));
  sink.stderr!.pipe(process.stderr);
  return () => sink.kill('SIGTERM');
}

async function main(): Promise<void> {
  const stopSink = await startSink();
  console.log(`# http-overhead: ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections, GET ${PATH}`);
  console.log(`# ${describeMachine(LOAD_TOOL)}`);
  const results = new Map<string, RoundResult[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so slow drift of the machine does not favour one scenario.
    const order = round % 2 === 0 ? scenarios : [...scenarios].reverse();
    for (const scenario of order) {
      const r = await runOnce(scenario, 3100 + round);
      results.get(scenario.name)!.push(r);
      console.log(
        `round ${round + 1} ${scenario.name.padEnd(20)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${r.p99Ms.toFixed(2)} ms  start ${r.startupMs.toFixed(0)} ms  rss ${r.rssMb.toFixed(0)} MB${r.non2xx ? `  non-2xx ${r.non2xx}` : ''}`,
      );
    }
  }

  stopSink();
  const med = (name: string, key: keyof RoundResult): number => {
    const rounds = results.get(name);
    return rounds === undefined ? Number.NaN : median(rounds.map((r) => r[key]));
  };
  const bare = {
    rps: med('bare', 'requestsPerSecond'),
    p99: med('bare', 'p99Ms'),
    start: med('bare', 'startupMs'),
    rss: med('bare', 'rssMb'),
  };
  console.log('');
  console.log('| scenario | req/s | vs bare | p99 ms | vs bare | start-up ms | vs bare | RSS after load MB | vs bare |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of scenarios) {
    const rps = med(s.name, 'requestsPerSecond');
    const p99 = med(s.name, 'p99Ms');
    const start = med(s.name, 'startupMs');
    const rss = med(s.name, 'rssMb');
    console.log(
      `| ${s.name} | ${rps.toFixed(0)} | ${(rps / bare.rps).toFixed(2)} | ${p99.toFixed(2)} | ${(p99 / bare.p99).toFixed(2)} | ${start.toFixed(0)} | +${(start - bare.start).toFixed(0)} | ${rss.toFixed(0)} | +${(rss - bare.rss).toFixed(0)} |`,
    );
  }
  const off = 'agent, traces off';
  const traced = 'agent, traced';
  const ratio = (name: string): number => med(name, 'requestsPerSecond') / bare.rps;
  const ran = new Set(scenarios.map((s) => s.name));
  const checks: Array<[string, string, boolean]> = [
    [off, `throughput >= 0.85 of bare: ${ratio(off).toFixed(3)}`, ratio(off) >= 0.85],
    [off, `start-up <= bare + 150 ms: +${(med(off, 'startupMs') - bare.start).toFixed(0)} ms`, med(off, 'startupMs') - bare.start <= 150],
    [off, `RSS after load <= bare + 60 MB: +${(med(off, 'rssMb') - bare.rss).toFixed(1)} MB`, med(off, 'rssMb') - bare.rss <= 60],
    [traced, `throughput >= 0.55 of bare: ${ratio(traced).toFixed(3)}`, ratio(traced) >= 0.55],
    [traced, `p99 <= 3 ms: ${med(traced, 'p99Ms').toFixed(2)} ms`, med(traced, 'p99Ms') <= 3],
    [traced, `RSS after load <= bare + 100 MB: +${(med(traced, 'rssMb') - bare.rss).toFixed(1)} MB`, med(traced, 'rssMb') - bare.rss <= 100],
  ];
  console.log('');
  for (const [name, text, ok] of checks.filter(([name]) => ran.has(name))) console.log(`${ok ? 'MET ' : 'MISS'} ${name}: ${text}`);
}

await main();
