/**
 * The same small Hono app (app.mjs, GET /payments/1) bare, under @twinkle/agent, and under
 * the setups a user would pick instead (prom-client through @hono/prometheus, OpenTelemetry's
 * NodeSDK, dd-trace), in one run on this machine, on two app shapes (bare routes; the same
 * behind an async middleware with an awaiting handler). Each server process runs pinned to
 * core 0; wrk and the fixed-rate client load it from core 1 over loopback, and the trace
 * receivers sit on core 1 at the lowest priority.
 *
 * Per shape, rounds: bare first (its capacity sets the fixed rate), then the other setups,
 * in reverse order every other round. Per run: start-up to the first 200, a warm-up, wrk
 * -t1 -c50 at saturation (with the server core's busy share from /proc/stat), then a fixed
 * rate of half of bare's capacity in that round (open loop, fixed-rate-client.ts), RSS, and
 * a check that the receiver got one trace per request. Figures are medians over rounds of
 * each run paired with its round's bare run. Then a memory phase: each setup under
 * sustained load, RSS read every 15 s. Then the cluster phase: the app as one process and as
 * a node:cluster group of 2 workers on both cores, bare and under the agent (metrics only),
 * the servers' CPU per request and the CPU a scrape of /metrics costs (lib/cluster-phase.ts).
 * Prints a table per shape, the cluster table, and issue 10's targets.
 *
 *   npm run bench    # ~26 min on 2 cores: 3 rounds per shape, then 2 min per setup
 *
 *   BENCH_ROUNDS=3          rounds per shape
 *   BENCH_SECONDS=8         saturation load per run (after a 2 s warm-up)
 *   BENCH_RATE_SECONDS=8    fixed-rate load per run
 *   BENCH_RSS_SECONDS=120   the memory phase's load per setup; 0 skips it
 *   BENCH_CLUSTER_ROUNDS=3  rounds of the cluster phase (default BENCH_ROUNDS); 0 skips it
 *   BENCH_SCENARIOS="agent, traced;dd-trace"   a subset, names separated by ';' (bare always runs)
 *   BENCH_RATE_TOOL=autocannon                 autocannon -R instead of fixed-rate-client.ts
 *
 *   BENCH_ROUNDS=1 BENCH_SECONDS=3 BENCH_RATE_SECONDS=3 BENCH_RSS_SECONDS=20 npm run bench   # ~5 min
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './lib/bench-config.ts';
import { estimateRunSeconds } from './lib/duration.ts';
import { pairedFigures, type SetupFigures } from './lib/figures.ts';
import { AUTOCANNON_VERSION, type RateTool } from './lib/fixed-rate-load.ts';
import { LOAD_TOOL } from './lib/load.ts';
import { describeMachine } from './lib/machine.ts';
import { runMemoryPhase, type MemoryResult } from './lib/memory-phase.ts';
import { formatClusterFigures, runClusterPhase, type ClusterFigures } from './lib/cluster-phase.ts';
import { startReceivers } from './lib/receivers.ts';
import { formatMemoryTable, formatRun, formatShapeTable } from './lib/report.ts';
import { runSetup, type RunResult } from './lib/run-setup.ts';
import { allSetups, BARE, selectSetups, type Shape } from './lib/setups.ts';
import { checkRssTargets, checkShapeTargets, formatTarget, type TargetCheck } from './lib/targets.ts';
import { describeTraceCheck, type TraceCheck } from './lib/trace-check.ts';

/** Inside a network namespace with only loopback, nothing a setup does can leave the machine. */
if (process.env.BENCH_IN_NETNS !== '1' && process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${self}"`],
    { stdio: 'inherit', env: { ...process.env, BENCH_IN_NETNS: '1' } },
  );
  process.exit(r.status ?? 1);
}

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, not "${raw}"`);
  return value;
}

const SHAPES: ReadonlyArray<{ shape: Shape; title: string }> = [
  { shape: 'bare', title: 'bare routes' },
  { shape: 'service', title: 'service (async middleware, awaiting handler)' },
];
const RECEIVER_PORTS = { otlp: 4399, datadog: 4398 };
const rateTool: RateTool = process.env.BENCH_RATE_TOOL === 'autocannon' ? 'autocannon' : 'fixed-rate-client';

const baseEnv: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) {
  if (v !== undefined && !/^(OTEL_|DD_|BENCH_)/.test(k) && k !== 'NODE_OPTIONS') baseEnv[k] = v;
}

const setups = selectSetups(allSetups(RECEIVER_PORTS), process.env.BENCH_SCENARIOS);
const bareSetup = setups.find((s) => s.name === BARE)!;
const others = setups.filter((s) => s !== bareSetup);

const receivers = await startReceivers({ core: 1, ports: RECEIVER_PORTS, env: baseEnv });
const config: BenchConfig = {
  rounds: Math.round(numberFromEnv('BENCH_ROUNDS', 3, 1)),
  seconds: numberFromEnv('BENCH_SECONDS', 8, 1),
  rateSeconds: numberFromEnv('BENCH_RATE_SECONDS', 8, 1),
  rssSeconds: numberFromEnv('BENCH_RSS_SECONDS', 120, 0),
  rssSampleSeconds: 15,
  warmupSeconds: 2,
  connections: 50,
  rateTool,
  traceWaitMs: 7000,
  serverCore: 0,
  loadCore: 1,
  app: fileURLToPath(new URL('./app.mjs', import.meta.url)),
  path: '/payments/1',
  cwd: fileURLToPath(new URL('../../', import.meta.url)),
  baseEnv,
  receivers,
};
const clusterRounds = Math.round(numberFromEnv('BENCH_CLUSTER_ROUNDS', config.rounds, 0));
const estimate = estimateRunSeconds(config, setups, SHAPES.length, clusterRounds);
const minutes = (s: number): string => `${(s / 60).toFixed(1)} min`;
console.log(
  `# http-overhead: ${setups.length} setups x ${SHAPES.length} shapes x ${config.rounds} rounds ` +
    `(${config.warmupSeconds} s warm-up, ${config.seconds} s saturation, ${config.rateSeconds} s at half of bare's capacity, ${config.connections} connections), GET ${config.path}; ` +
    (config.rssSeconds > 0 ? `then ${config.rssSeconds} s of sustained load per setup (service shape)` : 'memory phase skipped'),
);
console.log(`# about ${minutes(estimate.total)}: rounds ${minutes(estimate.rounds)}, memory phase ${minutes(estimate.memory)}, cluster phase ${minutes(estimate.cluster)}`);
console.log(`# ${describeMachine({ saturation: LOAD_TOOL, fixedRate: rateTool === 'autocannon' ? `autocannon ${AUTOCANNON_VERSION} -R (bursts each second, whole-ms latencies)` : `fixed-rate-client.ts (open loop, node ${process.version})` })}`);

const started = performance.now();
let port = 3100;
const nextPort = (): number => (port = port >= 3999 ? 3100 : port + 1);
const traceChecks = new Map<string, TraceCheck[]>();
const noteTraces = (name: string, check: TraceCheck | undefined): void => {
  if (check) traceChecks.set(name, [...(traceChecks.get(name) ?? []), check]);
};

const figures = new Map<Shape, Map<string, SetupFigures>>();
try {
  for (const { shape, title } of SHAPES) {
    const runs = new Map<string, RunResult[]>(setups.map((s) => [s.name, []]));
    for (let round = 0; round < config.rounds; round++) {
      const label = `[${title.split(' (')[0]}] round ${round + 1}`;
      const bare = await runSetup(config, bareSetup, shape, nextPort());
      runs.get(BARE)!.push(bare);
      for (const line of formatRun(label, BARE, bare, bare)) console.log(line);
      // Reversed every other round: the machine drifts within minutes, and the order must not favour a setup.
      const order = round % 2 === 0 ? others : [...others].reverse();
      for (const setup of order) {
        const run = await runSetup(config, setup, shape, nextPort(), bare.saturation.requestsPerSecond / 2);
        runs.get(setup.name)!.push(run);
        noteTraces(setup.name, run.traces);
        for (const line of formatRun(label, setup.name, run, bare)) console.log(line);
      }
    }
    const bareRuns = runs.get(BARE)!;
    figures.set(shape, new Map(setups.map((s) => [s.name, pairedFigures(runs.get(s.name)!, bareRuns)])));
  }

  const memory = new Map<string, MemoryResult>();
  if (config.rssSeconds > 0) {
    for (const setup of setups) {
      const r = await runMemoryPhase(config, setup, nextPort());
      memory.set(setup.name, r);
      noteTraces(setup.name, r.traces);
      console.log(`[memory] ${setup.name.padEnd(22)} RSS ${r.series.map((p) => `${p.rssMb.toFixed(0)}`).join(' -> ')} MB (every ${config.rssSampleSeconds} s, last at the end), ${r.requestsPerSecond.toFixed(0)} req/s`);
      if (r.traces) console.log(`[memory] ${setup.name.padEnd(22)} ${describeTraceCheck(r.traces)}`);
    }
  }

  let cluster: ClusterFigures | undefined;
  if (clusterRounds > 0) cluster = await runClusterPhase(config, clusterRounds, nextPort, (line) => console.log(line));

  console.log('');
  console.log(`Figures: medians over ${config.rounds} round(s) of each run paired with that round's bare run. Added CPU per request = 1e6/rps(setup) - 1e6/rps(bare).`);
  for (const { shape, title } of SHAPES) {
    console.log('');
    for (const line of formatShapeTable(title, figures.get(shape)!)) console.log(line);
  }
  if (memory.size > 0) {
    console.log('');
    for (const line of formatMemoryTable(config.rssSeconds, memory)) console.log(line);
  }

  if (cluster !== undefined) {
    console.log('');
    for (const line of formatClusterFigures(cluster, config.seconds)) console.log(line);
  }

  const targets: TargetCheck[] = SHAPES.flatMap(({ shape }) => checkShapeTargets(shape, figures.get(shape)!));
  if (memory.size > 0) targets.push(...checkRssTargets(new Map([...memory].map(([name, r]) => [name, r.finalRssMb])), config.rssSeconds));
  else targets.push({ ok: undefined, text: '[service] RSS after sustained load: memory phase skipped (BENCH_RSS_SECONDS=0)' });
  console.log('');
  console.log('Targets (issue 10):');
  for (const t of targets) console.log(formatTarget(t));

  console.log('');
  for (const [name, checks] of traceChecks) {
    const bad = checks.filter((c) => !c.ok);
    const traces = checks.reduce((n, c) => n + c.traces, 0);
    const answered = checks.reduce((n, c) => n + c.answered, 0);
    console.log(
      `${bad.length === 0 ? 'TRACED' : 'NOT TRACED'} ${name}: ${traces} traces for ${answered} answered requests over ${checks.length} runs` +
        (bad.length === 0 ? ', every run within its in-flight allowance' : `; ${bad.length} run(s) outside it: ${bad.map(describeTraceCheck).join('; ')}`),
    );
  }
  console.log(`# took ${minutes((performance.now() - started) / 1000)} (estimated ${minutes(estimate.total)})`);
} finally {
  receivers.stop();
}
