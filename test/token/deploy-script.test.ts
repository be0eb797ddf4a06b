import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getContractAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type Anvil } from '../helpers/anvil.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/deploy-token.ts', import.meta.url));

describe('scripts/deploy-token.ts (what docker compose runs before the facilitator)', () => {
  let anvil: Anvil;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => anvil?.stop());

  const deploy = (env: Record<string, string>) => run(process.execPath, [SCRIPT], { env: { ...process.env, RPC_URL: anvil.url, ...env } });

  it('deploys Twinkle USD at the deployer\'s first contract address, mints to the holders, and on the same chain again deploys nothing', async () => {
    const deployer = anvil.accounts[4]!;
    const expected = getContractAddress({ from: deployer.address, nonce: 0n });
    const holders = [anvil.accounts[1]!.address, anvil.accounts[2]!.address];
    const env = { DEPLOYER_PRIVATE_KEY: anvil.privateKeys[4]!, TOKEN_HOLDERS: holders.join(','), TOKEN_AMOUNT_EACH: '5000000' };
    const first = await deploy(env);
    expect(first.stdout).toBe(`TOKEN_ADDRESS=${expected}\n`);
    expect(first.stderr).toMatch(/Twinkle USD \(tUSD, 6 decimals\) at 0x[0-9a-fA-F]{40} on chain 31337; 5000000 base units to each of 2 holders/);
    const balanceOf = (holder: string) => anvil.rpc<string>('eth_call', [{ to: expected, data: `0x70a08231${holder.slice(2).toLowerCase().padStart(64, '0')}` }, 'latest']);
    for (const holder of holders) expect(BigInt(await balanceOf(holder))).toBe(5_000_000n);
    const again = await deploy(env);
    expect(again.stdout).toBe(`TOKEN_ADDRESS=${expected}\n`);
    expect(again.stderr).toMatch(/already holds a contract .*: not deploying again/);
    expect(await anvil.rpc<string>('eth_getTransactionCount', [deployer.address, 'latest'])).toBe('0x1');
  });

  it('refuses to run without a deployer key, and says so', async () => {
    await expect(deploy({ DEPLOYER_PRIVATE_KEY: '' })).rejects.toMatchObject({ code: 1, stderr: '[deploy-token] DEPLOYER_PRIVATE_KEY must be set to 0x followed by 64 hex digits\n' });
  });
});
