/**
 * `npm run deploy-token`: deploys Twinkle USD to a development chain (docker compose runs it
 * against its Anvil before the facilitator starts) and prints the TOKEN_ADDRESS line. The
 * first contract of the deployer lands at the same address on every fresh chain, so when
 * that address already holds code (compose started again on the same chain), nothing is
 * deployed and that address is printed.
 *
 *   RPC_URL (http://127.0.0.1:8545), DEPLOYER_PRIVATE_KEY (required),
 *   TOKEN_HOLDERS (comma-separated addresses; default: Anvil's ten development accounts),
 *   TOKEN_AMOUNT_EACH (base units; default 1000000000000, a million tUSD)
 */
import { deployToken } from '@twinkle/token/deploy';
import { createPublicClient, getContractAddress, http, isAddress, type Address, type Hex } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';

/** Anvil's default development mnemonic: published test keys, for a local chain only. */
const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

function fail(message: string): never {
  process.stderr.write(`[deploy-token] ${message}\n`);
  process.exit(1);
}

const rpcUrl = process.env.RPC_URL ?? 'http://127.0.0.1:8545';
const key = process.env.DEPLOYER_PRIVATE_KEY;
if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) fail('DEPLOYER_PRIVATE_KEY must be set to 0x followed by 64 hex digits');
const deployer = privateKeyToAccount(key as Hex);
const holders = (process.env.TOKEN_HOLDERS?.split(',').map((a) => a.trim()).filter(Boolean) ?? Array.from({ length: 10 }, (_, i) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).address)) as Address[];
for (const holder of holders) if (!isAddress(holder)) fail(`TOKEN_HOLDERS: ${holder} is not an address`);
const amountEach = BigInt(process.env.TOKEN_AMOUNT_EACH ?? 1_000_000n * 10n ** 6n);

const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
// The chain may still be starting (compose starts it alongside): wait for it, a bounded time.
for (let waited = 0; ; waited += 250) {
  try {
    await client.getChainId();
    break;
  } catch (error) {
    if (waited >= 30_000) fail(`${rpcUrl} did not answer within 30 s: ${(error as Error).message.split('\n')[0]}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
const first = getContractAddress({ from: deployer.address, nonce: 0n });
const code = await client.getCode({ address: first });
if (code !== undefined && code !== '0x') {
  process.stderr.write(`[deploy-token] ${first} already holds a contract (deployed by ${deployer.address} earlier): not deploying again\n`);
  process.stdout.write(`TOKEN_ADDRESS=${first}\n`);
} else {
  const token = await deployToken({ rpcUrl, deployer, holders, amountEach });
  process.stderr.write(`[deploy-token] ${token.name} (${token.symbol}, ${token.decimals} decimals) at ${token.address} on chain ${token.chainId}; ${amountEach} base units to each of ${holders.length} holders\n`);
  process.stdout.write(`TOKEN_ADDRESS=${token.address}\n`);
}
