/**
 * `npm run up`: everything there is to look at, on this machine without Docker, on 127.0.0.1:
 * the Twinkle collector, Jaeger and Prometheus (the operations kit's configs and alert
 * rules), a local Anvil chain with Twinkle USD, and both services under the agent sending
 * their traces to the collector. The first run builds the collector and Jaeger from the Go
 * module proxy (otel-collector/scripts/build-binaries.sh); later runs start in seconds.
 * Ctrl-C stops everything in the reverse order (the services flush their spans first) and
 * removes the run's temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findGoBinaries } from './go-binaries.ts';
import { findPrometheusPages } from './prometheus-pages.ts';
import { startLocalChain } from './local-chain.ts';
import { answersOk, ProcessGroup, waitUntil } from './process-group.ts';
import { createScratchDir } from './scratch-dir.ts';
import { collectorSpec, jaegerSpec, OPS, prometheusSpec, STACK, STACK_PORTS, type ComponentSpec } from './stack-components.ts';
import { describeTracesDestination } from './traces-destination.ts';
import { startServices } from './twinkle-services.ts';

const say = (line: string): void => void process.stderr.write(`[up] ${line}\n`);
const ports = { api: '3000', facilitator: '3001' };
let stopping = false;

/** Resolves with the ports of `candidates` something already listens on (127.0.0.1). */
async function portsInUse(candidates: readonly number[]): Promise<number[]> {
  const taken = await Promise.all(
    candidates.map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const server = createServer();
          server.once('error', () => resolve(true));
          server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
        }),
    ),
  );
  return candidates.filter((_, i) => taken[i]);
}

const inUse = await portsInUse([...STACK_PORTS, Number(ports.api), Number(ports.facilitator), 8545]);
if (inUse.length > 0) {
  say(`ports already in use on 127.0.0.1: ${inUse.join(', ')}. Is another \`npm run up\`, \`npm start\` or \`npm run test:stack\` running? Stop it first.`);
  process.exit(1);
}

// Built once per machine (minutes), cached under ~/.cache/twinkle-bin; the script says on
// this terminal what it builds (a line before and after each) or that it found them cached.
execFileSync(join(OPS, 'scripts/build-binaries.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
const binaries = findGoBinaries();
if (!binaries.collector || !binaries.jaeger) {
  say('the collector or Jaeger binary is missing after otel-collector/scripts/build-binaries.sh');
  process.exit(1);
}

const scratch = createScratchDir('twinkle-up');
const logs = (name: string): string => join(scratch.path, `${name}.log`);
const group = new ProcessGroup((member, how) => {
  say(`${member.name} exited (${how}); its output: ${member.output}. Stopping the rest`);
  void stop(1);
});

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), 120_000).unref();
  say('stopping: services first (they flush their spans), then the chain, Prometheus, the collector, Jaeger');
  await group.stopAll(say);
  scratch.remove();
  say('stopped; nothing left running, temporary folder removed');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

async function startComponent(spec: ComponentSpec): Promise<void> {
  const member = group.start(spec.name, spec.command, spec.args, { env: spec.env, logFile: logs(spec.name) });
  await waitUntil(`${spec.name} at ${spec.ready.url} (output: ${member.output})`, () => answersOk(spec.ready.url, spec.ready.init), {
    timeoutMs: 60_000,
    gone: () => member.child.exitCode !== null,
  });
}

try {
  const toolsStarted = Date.now();
  await startComponent(jaegerSpec(binaries.jaeger));
  await startComponent(collectorSpec(binaries.collector));
  await startComponent(prometheusSpec(join(scratch.path, 'prometheus-data')));
  const prometheusPages = await findPrometheusPages(STACK.prometheus);
  say(`Jaeger, the collector and Prometheus answering after ${((Date.now() - toolsStarted) / 1000).toFixed(1)} s`);
  const env: Record<string, string | undefined> = { ...process.env, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: STACK.collectorOtlpHttp };
  delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!env.RPC_URL) Object.assign(env, (await startLocalChain(group, scratch.path, '8545', say, logs('anvil'))).env);
  env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/twinkle';
  const health = await startServices(group, ports, env);
  for (const line of [
    `API          http://127.0.0.1:${ports.api}  /metrics, /health (${health.api}); logs on this terminal`,
    `Facilitator  http://127.0.0.1:${ports.facilitator}  /metrics, /health (${health.facilitator})`,
    `traces       ${await describeTracesDestination(env)}`,
    `collector    OTLP ${STACK.collectorOtlpHttp} (HTTP), ${STACK.collectorOtlpGrpc} (gRPC); its own metrics ${STACK.collectorMetrics}`,
    `Jaeger       ${STACK.jaeger}  (the query API; the compose image has the UI)`,
    `Prometheus   ${prometheusPages.targets}  ${prometheusPages.alerts}  (scrapes both services every 15 s, with the Twinkle alert rules)`,
    `tool logs    ${scratch.path}/{jaeger,collector,prometheus,anvil}.log (removed at Ctrl-C)`,
    'try          npm run load   (in another shell: a minute of traffic), then',
    `             curl -si localhost:${ports.api}/payments | grep -i x-request-id   and find that request's trace:`,
    `             curl -sG ${STACK.jaeger}/api/traces --data-urlencode service=twinkle-api --data-urlencode 'tags={"twinkle.request_id":"<the id>"}'`,
    `             curl -sG ${STACK.prometheus}/api/v1/query --data-urlencode 'query=sum by (job, route) (rate(http_requests_total[1m]))'`,
    'Ctrl-C stops everything it started',
  ]) say(line);
} catch (error) {
  say(`could not start: ${(error as Error).message}`);
  await stop(1);
}
