/**
 * A local Anvil chain with Twinkle USD deployed on it, for `npm start` and `npm run up` when
 * `RPC_URL` is not set: the token lands at the same address on every fresh chain (deployed
 * first by the first development account), and each development account gets a million tUSD.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deployToken } from '@twinkle/token/deploy';
import { privateKeyToAccount } from 'viem/accounts';
import type { ProcessGroup } from './process-group.ts';
import { ROOT } from './stack-components.ts';

/** What each of Anvil's development accounts holds: a million tUSD, in base units (6 decimals). */
const TOKENS_EACH = 1_000_000n * 10n ** 6n;

/** What the facilitator needs to settle on the chain, and whom the API's paid resources pay (their env variables). */
export interface LocalChain {
  readonly url: string;
  readonly env: { RPC_URL: string; CHAIN_ID: string; FACILITATOR_PRIVATE_KEY: string; TOKEN_ADDRESS: string; TOKEN_NAME: string; TOKEN_VERSION: string; PAID_RESOURCE_PAY_TO: string };
}

async function answersRpc(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}', signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts Anvil in `group` on 127.0.0.1:`port` and deploys the token; `scratch` holds Anvil's account file only until it is read. */
export async function startLocalChain(group: ProcessGroup, scratch: string, port: string, say: (line: string) => void, logFile?: string): Promise<LocalChain> {
  const configOut = join(scratch, 'anvil-accounts.json');
  const anvil = group.start('anvil', join(ROOT, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', port, '--silent', '--accounts', '3', '--config-out', configOut], { logFile });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; !(await answersRpc(url)); i++) {
    if (anvil.child.exitCode !== null) throw new Error(`Anvil exited (${anvil.child.exitCode}); is port ${port} taken?`);
    if (i > 100) throw new Error(`Anvil did not answer on ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { private_keys: keys, available_accounts: accounts } = JSON.parse(readFileSync(configOut, 'utf8')) as { private_keys: `0x${string}`[]; available_accounts: `0x${string}`[] };
  // The file holds the development keys: gone as soon as they are read.
  rmSync(configOut, { force: true });
  // Anvil's development accounts are public test keys: never use them on a real chain.
  const chainId = process.env.CHAIN_ID ?? '31337';
  say(`chain        RPC_URL not set: a local Anvil chain at ${url} (chain ${chainId}); the facilitator pays gas from its dev account ${accounts[0]}`);
  const token = await deployToken({ rpcUrl: url, deployer: privateKeyToAccount(keys[0]!), holders: accounts, amountEach: TOKENS_EACH });
  const build = token.build.from === 'compiled' ? `compiled with solc ${token.build.compiler} in ${(token.build.ms / 1000).toFixed(1)} s` : 'compiled output from token/.cache';
  say(`token        ${token.name} (${token.symbol}, ${token.decimals} decimals) at ${token.address} (${build}); ${TOKENS_EACH / 10n ** BigInt(token.decimals)} ${token.symbol} minted to each dev account (TOKEN_ADDRESS)`);
  return {
    url,
    env: {
      RPC_URL: url,
      CHAIN_ID: chainId,
      FACILITATOR_PRIVATE_KEY: process.env.FACILITATOR_PRIVATE_KEY ?? keys[0]!,
      TOKEN_ADDRESS: token.address,
      TOKEN_NAME: token.name,
      TOKEN_VERSION: token.version,
      // The API's paid resources pay development account 2 (npm run load pays from account 1).
      PAID_RESOURCE_PAY_TO: process.env.PAID_RESOURCE_PAY_TO ?? accounts[2]!,
    },
  };
}
