/**
 * `npm start`: both services under `node --import @twinkle/agent`, with a local Anvil chain
 * and the Twinkle USD token deployed on it when `RPC_URL` is not set. Prints where the
 * metrics, health checks and traces are, and whether anything receives the traces.
 * Ctrl-C (or SIGTERM) stops the services gracefully, then the chain; its temporary folder
 * goes with it. `npm run up` starts the collector, Jaeger and Prometheus as well.
 */
import { startLocalChain } from './local-chain.ts';
import { ProcessGroup } from './process-group.ts';
import { createScratchDir } from './scratch-dir.ts';
import { startServices } from './twinkle-services.ts';
import { describeTracesDestination } from './traces-destination.ts';

const env: Record<string, string | undefined> = { ...process.env };
const ports = { api: env.API_PORT ?? '3000', facilitator: env.FACILITATOR_PORT ?? '3001' };
const say = (line: string): void => void process.stderr.write(`[start] ${line}\n`);
const scratch = createScratchDir('twinkle-start');
let stopping = false;

const group = new ProcessGroup((member, how) => {
  say(`${member.name} exited (${how}); stopping the rest`);
  void stop(1);
});

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), 60_000).unref();
  await group.stopAll(say);
  say('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

try {
  if (!env.RPC_URL) Object.assign(env, (await startLocalChain(group, scratch.path, env.ANVIL_PORT ?? '8545', say)).env);
  env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/twinkle';
  const health = await startServices(group, ports, env);
  say(`API          http://127.0.0.1:${ports.api}  metrics /metrics, health /health (${health.api})`);
  say(`Facilitator  http://127.0.0.1:${ports.facilitator}  metrics /metrics, health /health (${health.facilitator})`);
  say(`traces       ${await describeTracesDestination(env)}`);
  say('traffic      npm run load   (in another shell); Ctrl-C stops everything');
} catch (error) {
  say(`could not start: ${(error as Error).message}`);
  await stop(1);
}
