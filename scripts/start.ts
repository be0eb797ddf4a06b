/**
 * `npm start`: both services under `node --import @twinkle/agent`, with a local Anvil chain
 * and the Twinkle USD token deployed on it when `RPC_URL` is not set. Prints where the
 * metrics, health checks and traces are. Ctrl-C (or SIGTERM) stops the services
 * gracefully, then the chain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployToken } from '@twinkle/token/deploy';
import { privateKeyToAccount } from 'viem/accounts';

const root = fileURLToPath(new URL('..', import.meta.url));
const env: Record<string, string | undefined> = { ...process.env };
const apiPort = env.API_PORT ?? '3000';
const facilitatorPort = env.FACILITATOR_PORT ?? '3001';
const children: ChildProcess[] = [];
/** What each of Anvil's development accounts holds: a million tUSD, in base units (6 decimals). */
const TOKENS_EACH = 1_000_000n * 10n ** 6n;
let stopping = false;

function say(line: string): void {
  process.stderr.write(`[start] ${line}\n`);
}

async function waitForRpc(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Anvil did not answer on ${url}`);
}

async function startAnvil(): Promise<void> {
  const port = env.ANVIL_PORT ?? '8545';
  const configOut = join(mkdtempSync(join(tmpdir(), 'twinkle-anvil-')), 'anvil.json');
  const anvil = spawn(join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', port, '--silent', '--accounts', '3', '--config-out', configOut], { stdio: 'inherit' });
  children.push(anvil);
  const url = `http://127.0.0.1:${port}`;
  await waitForRpc(url);
  const { private_keys: keys, available_accounts: accounts } = JSON.parse(readFileSync(configOut, 'utf8')) as { private_keys: `0x${string}`[]; available_accounts: `0x${string}`[] };
  env.RPC_URL = url;
  env.CHAIN_ID ??= '31337';
  // Anvil's development accounts are public test keys: never use them on a real chain.
  env.FACILITATOR_PRIVATE_KEY ??= keys[0];
  say(`RPC_URL not set: started a local Anvil chain at ${url} (chain ${env.CHAIN_ID}); the facilitator pays gas from its dev account ${accounts[0]}`);
  // Deployed first by the first account, so it lands at the same address on every fresh chain.
  const token = await deployToken({ rpcUrl: url, deployer: privateKeyToAccount(keys[0]!), holders: accounts, amountEach: TOKENS_EACH });
  env.TOKEN_ADDRESS = token.address;
  env.TOKEN_NAME = token.name;
  env.TOKEN_VERSION = token.version;
  const build = token.build.from === 'compiled' ? `compiled with solc ${token.build.compiler} in ${(token.build.ms / 1000).toFixed(1)} s` : 'compiled output from token/.cache';
  say(`token        ${token.name} (${token.symbol}, ${token.decimals} decimals) at ${token.address} (${build}); ${TOKENS_EACH / 10n ** BigInt(token.decimals)} ${token.symbol} minted to each dev account (TOKEN_ADDRESS)`);
}

function startService(name: string, dir: string, port: string, extra: Record<string, string>): void {
  const child = spawn(process.execPath, ['--import', '@twinkle/agent', join(root, dir, 'dist/server.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, OTEL_SERVICE_NAME: `twinkle-${name}`, PORT: port, ...extra },
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited (${signal ?? code}); stopping the rest`);
    stop(1);
  });
  children.push(child);
}

async function waitForHealth(url: string): Promise<string> {
  for (let i = 0; i < 150; i++) {
    try {
      const body = (await (await fetch(url)).json()) as { status?: string };
      return body.status ?? 'unknown';
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return 'not answering';
}

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const bound = setTimeout(() => process.exit(code), 40_000);
  bound.unref();
  void Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve))))).then(() => {
    say('stopped');
    process.exit(code);
  });
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

if (!env.RPC_URL) await startAnvil();
env.REDIS_URL ??= 'redis://127.0.0.1:6379';
env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/twinkle';
startService('api', 'services/api', apiPort, { FACILITATOR_URL: env.FACILITATOR_URL ?? `http://127.0.0.1:${facilitatorPort}` });
startService('facilitator', 'services/facilitator', facilitatorPort, {});

const [apiHealth, facilitatorHealth] = await Promise.all([waitForHealth(`http://127.0.0.1:${apiPort}/health`), waitForHealth(`http://127.0.0.1:${facilitatorPort}/health`)]);
const traces = env.OTEL_TRACES_EXPORTER === 'none' ? 'off (OTEL_TRACES_EXPORTER=none)' : `OTLP to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318'}; search them in Jaeger (http://localhost:16686, services twinkle-api and twinkle-facilitator, tag twinkle.request_id=<X-Request-Id>)`;
say(`API          http://127.0.0.1:${apiPort}  metrics /metrics, health /health (${apiHealth})`);
say(`Facilitator  http://127.0.0.1:${facilitatorPort}  metrics /metrics, health /health (${facilitatorHealth})`);
say(`traces       ${traces}`);
say('traffic      npm run load   (in another shell); Ctrl-C stops everything');
