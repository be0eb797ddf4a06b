import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { freePort } from './loopback-server.js';

const ANVIL = fileURLToPath(new URL('../../node_modules/.bin/anvil', import.meta.url));
const TMP = fileURLToPath(new URL('../.tmp/', import.meta.url));

/** A real local chain (Anvil from @foundry-rs/anvil) on loopback. */
export interface Anvil {
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  /** Funded development accounts, with their keys (from Anvil's --config-out). */
  readonly accounts: readonly PrivateKeyAccount[];
  readonly privateKeys: readonly `0x${string}`[];
  /** A JSON-RPC call to the chain. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

/** Starts Anvil on a free loopback port; `noMining` leaves transactions pending until mined by hand. */
export async function startAnvil(options: { noMining?: boolean; port?: number } = {}): Promise<Anvil> {
  const port = options.port ?? (await freePort());
  mkdirSync(TMP, { recursive: true });
  const configOut = `${TMP}anvil-${port}.json`;
  rmSync(configOut, { force: true });
  const args = ['--host', '127.0.0.1', '--port', String(port), '--accounts', '5', '--silent', '--config-out', configOut];
  if (options.noMining) args.push('--no-mining');
  const child: ChildProcess = spawn(ANVIL, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${stderr}`);
    try {
      await rpc('eth_chainId');
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`anvil did not answer on ${url}: ${String(error)} ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const { private_keys: privateKeys } = JSON.parse(readFileSync(configOut, 'utf8')) as { private_keys: `0x${string}`[] };
  const exited = once(child, 'exit');
  return {
    url,
    port,
    chainId: Number.parseInt(await rpc<string>('eth_chainId'), 16),
    accounts: privateKeys.map((key) => privateKeyToAccount(key)),
    privateKeys,
    rpc,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
