import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenArtifact } from '@twinkle/token/artifact';
import { TWINKLE_USD } from '@twinkle/token/twinkle-usd';
import { hashDomain, parseSignature, toFunctionSignature, type AbiFunction, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EIP3009_ABI } from '../../services/facilitator/dist/eip3009-abi.js';
import { readFacilitatorConfig } from '../../services/facilitator/dist/config.js';
import { startTokenChain, TOKENS_EACH, type TokenChain } from '../helpers/token-chain.js';

const SOURCE = fileURLToPath(new URL('../../token/contracts/TwinkleUSD.sol', import.meta.url));
const signatureOf = (item: (typeof EIP3009_ABI)[number]): string => `${item.type} ${toFunctionSignature(item as AbiFunction)}`;
const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));

describe('Twinkle USD: compiled with solc from npm, cached by source', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twinkle-token-build-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads an unchanged source back from the cache, with the pinned compiler', () => {
    const first = loadTokenArtifact();
    const again = loadTokenArtifact();
    expect(again.from).toBe('cache');
    expect(again.artifact.key).toBe(first.artifact.key);
    expect(again.artifact.bytecode).toBe(first.artifact.bytecode);
    const pinned = (JSON.parse(readFileSync(fileURLToPath(new URL('../../token/package.json', import.meta.url)), 'utf8')) as { dependencies: Record<string, string> }).dependencies.solc;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(again.artifact.compiler.startsWith(`${pinned}+commit.`)).toBe(true);
    expect(readFileSync(SOURCE, 'utf8')).toContain(`pragma solidity ${pinned};`);
  });

  it('compiles a changed source again, under a new key, then caches that', () => {
    const copy = join(dir, 'TwinkleUSD.sol');
    copyFileSync(SOURCE, copy);
    const cacheDir = join(dir, 'cache');
    mkdirSync(cacheDir);
    const built = loadTokenArtifact();
    copyFileSync(built.file, join(cacheDir, basename(built.file)));
    // The key is the content's, not the path's: the copy finds the build of the original.
    const original = loadTokenArtifact({ sourceFile: copy, cacheDir });
    expect(original.from).toBe('cache');
    expect(original.artifact.key).toBe(built.artifact.key);
    writeFileSync(copy, readFileSync(copy, 'utf8').replace('return 6;', 'return 2;'));
    const changed = loadTokenArtifact({ sourceFile: copy, cacheDir });
    expect(changed.from).toBe('compiled');
    expect(changed.artifact.key).not.toBe(original.artifact.key);
    expect(changed.artifact.bytecode).not.toBe(original.artifact.bytecode);
    expect(loadTokenArtifact({ sourceFile: copy, cacheDir }).from).toBe('cache');
  }, 120_000);

  it('has every function, event and error the facilitator calls and decodes, and the facilitator\'s default domain is the token\'s', () => {
    const compiled = new Set(loadTokenArtifact().artifact.abi.map((item) => signatureOf(item as (typeof EIP3009_ABI)[number])));
    // OpenZeppelin's ERC3009InvalidAuthorizationTime is overridden away: the facilitator only knows it for other tokens.
    for (const item of EIP3009_ABI.filter((i) => !('name' in i && i.name === 'ERC3009InvalidAuthorizationTime'))) expect(compiled, signatureOf(item)).toContain(signatureOf(item));
    const { config } = readFacilitatorConfig({});
    expect({ name: config.tokenName, version: config.tokenVersion }).toEqual({ name: TWINKLE_USD.name, version: TWINKLE_USD.version });
  });
});

describe('Twinkle USD on Anvil: EIP-3009 with USDC\'s semantics', () => {
  let chain: TokenChain;
  const payer = () => chain.anvil.accounts[1]!;
  const payee = () => chain.anvil.accounts[2]!;
  const relayer = () => chain.anvil.accounts[3]!;

  /** The token's revert for a call, decoded (its error name), or 'ok'. */
  const outcome = async (from: number, functionName: string, args: readonly unknown[]): Promise<string> => {
    try {
      await chain.client.simulateContract({ address: chain.token.address, abi: chain.abi, functionName, args, account: chain.anvil.accounts[from]!.address });
      return 'ok';
    } catch (error) {
      const reverted = (error as { cause?: { data?: { errorName?: string } } }).cause;
      return reverted?.data?.errorName ?? String(error);
    }
  };
  const vrs = (body: Awaited<ReturnType<TokenChain['sign']>>): readonly unknown[] => {
    const a = body.authorization;
    const { v, r, s } = parseSignature(body.signature);
    return [a.from, a.to, BigInt(a.value!), BigInt(a.validAfter!), BigInt(a.validBefore!), a.nonce, Number(v), r, s];
  };

  beforeAll(async () => {
    chain = await startTokenChain();
  });
  afterAll(async () => chain?.stop());

  it('is "Twinkle USD" (tUSD), 6 decimals, with 1000 tUSD minted to each development account and its EIP-712 domain as DOMAIN_SEPARATOR', async () => {
    const read = (functionName: string, args: unknown[] = []) => chain.client.readContract({ address: chain.token.address, abi: chain.abi, functionName, args });
    expect(await read('name')).toBe('Twinkle USD');
    expect(await read('symbol')).toBe('tUSD');
    expect(await read('decimals')).toBe(6);
    for (const account of chain.anvil.accounts) expect(await chain.balanceOf(account.address)).toBe(TOKENS_EACH);
    expect(await read('totalSupply')).toBe(TOKENS_EACH * BigInt(chain.anvil.accounts.length));
    const { name, version, chainId, verifyingContract } = chain.domain;
    expect(await read('DOMAIN_SEPARATOR')).toBe(hashDomain({ domain: { name, version, chainId: BigInt(chainId), verifyingContract }, types: { EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'version', type: 'string' }, { name: 'chainId', type: 'uint256' }, { name: 'verifyingContract', type: 'address' }] } }));
  });

  it('transferWithAuthorization: anyone submits it and pays the gas, the payer\'s tokens move, AuthorizationUsed then Transfer, and the nonce is used for good', async () => {
    const body = await chain.sign(payer(), { to: payee().address, value: 2_500_000n });
    const [payerBefore, payeeBefore, payerEth] = await Promise.all([chain.balanceOf(payer().address), chain.balanceOf(payee().address), chain.ethBalance(payer().address)]);
    expect(await chain.client.readContract({ address: chain.token.address, abi: chain.abi, functionName: 'authorizationState', args: [payer().address, body.authorization.nonce] })).toBe(false);
    const receipt = await chain.receipt(await chain.write(relayer(), 'transferWithAuthorization', vrs(body)));
    expect(receipt.status).toBe('success');
    expect(chain.events(receipt).map((e) => e.eventName)).toEqual(['AuthorizationUsed', 'Transfer']);
    expect(chain.events(receipt)[0]!.args).toEqual({ authorizer: payer().address, nonce: body.authorization.nonce });
    expect(await chain.balanceOf(payer().address)).toBe(payerBefore - 2_500_000n);
    expect(await chain.balanceOf(payee().address)).toBe(payeeBefore + 2_500_000n);
    expect(await chain.ethBalance(payer().address)).toBe(payerEth);
    expect(await chain.client.readContract({ address: chain.token.address, abi: chain.abi, functionName: 'authorizationState', args: [payer().address, body.authorization.nonce] })).toBe(true);
    expect(await outcome(3, 'transferWithAuthorization', vrs(body))).toBe('ERC3009UsedAuthorization');
  });

  it('refuses what USDC refuses, each with its own reason', async () => {
    const t = now();
    // A block mined now has a timestamp >= t: validAfter = t + 600 is not yet valid, validBefore = t - 1 has passed.
    expect(await outcome(3, 'transferWithAuthorization', vrs(await chain.sign(payer(), { to: payee().address, value: 1n, validAfter: t + 600n, validBefore: t + 3600n })))).toBe('AuthorizationNotYetValid');
    expect(await outcome(3, 'transferWithAuthorization', vrs(await chain.sign(payer(), { to: payee().address, value: 1n, validBefore: t - 1n })))).toBe('AuthorizationExpired');
    expect(await outcome(3, 'transferWithAuthorization', vrs(await chain.sign(payer(), { to: payee().address, value: TOKENS_EACH * 10n })))).toBe('ERC20InsufficientBalance');
    const signed = await chain.sign(payer(), { to: payee().address, value: 1n });
    const tampered = [...vrs(signed)];
    tampered[2] = 2n;
    expect(await outcome(3, 'transferWithAuthorization', tampered)).toBe('ERC3009InvalidSignature');
    const otherToken = await chain.sign(payer(), { to: payee().address, value: 1n }, { ...chain.domain, verifyingContract: relayer().address });
    expect(await outcome(3, 'transferWithAuthorization', vrs(otherToken))).toBe('ERC3009InvalidSignature');
  });

  it('validAfter and validBefore are exclusive bounds, as in USDC', async () => {
    const t = (await chain.client.getBlock()).timestamp + 100n;
    /** Mines the transfer in a block stamped `at`; its receipt's status. */
    const minedAt = async (at: bigint, window: { validAfter: bigint; validBefore: bigint }) => {
      const body = await chain.sign(payer(), { to: payee().address, value: 1n, ...window });
      await chain.anvil.rpc('evm_setNextBlockTimestamp', [Number(at)]);
      return (await chain.receipt(await chain.write(relayer(), 'transferWithAuthorization', vrs(body)))).status;
    };
    expect(await minedAt(t, { validAfter: t, validBefore: t + 100n })).toBe('reverted');
    expect(await minedAt(t + 1n, { validAfter: 0n, validBefore: t + 1n })).toBe('reverted');
    expect(await minedAt(t + 2n, { validAfter: t + 1n, validBefore: t + 3n })).toBe('success');
  });

  it('receiveWithAuthorization is for the payee alone; cancelAuthorization uses the nonce up', async () => {
    const body = await chain.sign(payer(), { to: payee().address, value: 7n });
    expect(await outcome(3, 'receiveWithAuthorization', await receiveArgs(body))).toBe('ERC20InvalidReceiver');
    const before = await chain.balanceOf(payee().address);
    const receipt = await chain.receipt(await chain.write(payee(), 'receiveWithAuthorization', await receiveArgs(body)));
    expect(receipt.status).toBe('success');
    expect(await chain.balanceOf(payee().address)).toBe(before + 7n);

    const cancelled = await chain.sign(payer(), { to: payee().address, value: 9n });
    const nonce = cancelled.authorization.nonce as Hex;
    const cancel = await payer().signTypedData({
      domain: chain.domain,
      types: { CancelAuthorization: [{ name: 'authorizer', type: 'address' }, { name: 'nonce', type: 'bytes32' }] },
      primaryType: 'CancelAuthorization',
      message: { authorizer: payer().address, nonce },
    });
    const { v, r, s } = parseSignature(cancel);
    const cancelReceipt = await chain.receipt(await chain.write(relayer(), 'cancelAuthorization', [payer().address, nonce, Number(v), r, s]));
    expect(chain.events(cancelReceipt).map((e) => e.eventName)).toEqual(['AuthorizationCanceled']);
    expect(await outcome(3, 'transferWithAuthorization', vrs(cancelled))).toBe('ERC3009UsedAuthorization');
  });

  /** receiveWithAuthorization's arguments: the same fields, signed as ReceiveWithAuthorization. */
  async function receiveArgs(body: Awaited<ReturnType<TokenChain['sign']>>): Promise<readonly unknown[]> {
    const a = body.authorization;
    const message = { from: a.from as Hex, to: a.to as Hex, value: BigInt(a.value!), validAfter: BigInt(a.validAfter!), validBefore: BigInt(a.validBefore!), nonce: a.nonce as Hex };
    const signature = await payer().signTypedData({
      domain: chain.domain,
      types: { ReceiveWithAuthorization: [{ name: 'from', type: 'address' }, { name: 'to', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'validAfter', type: 'uint256' }, { name: 'validBefore', type: 'uint256' }, { name: 'nonce', type: 'bytes32' }] },
      primaryType: 'ReceiveWithAuthorization',
      message,
    });
    const { v, r, s } = parseSignature(signature);
    return [message.from, message.to, message.value, message.validAfter, message.validBefore, message.nonce, Number(v), r, s];
  }
});
