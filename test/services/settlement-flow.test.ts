import { signAuthorization } from '@twinkle/facilitator/authorization';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { freePort } from '../helpers/loopback-server.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { getJson, postJson, startApi, startFacilitator } from '../helpers/twinkle-services.js';

async function clearFacilitatorKeys(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys('facilitator:*');
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

describe('a payment settled through the API and the facilitator', () => {
  let anvil: Anvil;
  let facilitator: RunningApp;
  let api: RunningApp;

  beforeAll(async () => {
    await clearFacilitatorKeys();
    anvil = await startAnvil();
    facilitator = await startFacilitator({ RPC_URL: anvil.url, FACILITATOR_PRIVATE_KEY: anvil.privateKeys[0] });
    api = await startApi({ FACILITATOR_URL: facilitator.url, RATE_LIMIT_MAX: '100000' });
  });
  afterAll(async () => {
    await api?.stop();
    await facilitator?.stop();
    await anvil?.stop();
  });

  const createPayment = async (amount: string) =>
    (await postJson(`${api.url}/payments`, { type: 'subscription', amount, payer: anvil.accounts[1]!.address, payee: anvil.accounts[2]!.address })).body;

  it('settles on chain and records the transaction on the payment; a second settlement is refused', async () => {
    const payment = await createPayment('4242');
    const request = await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 4242n }, anvil.chainId);
    const settled = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ id: payment.id, status: 'settled' });
    expect(settled.body.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const tx = await anvil.rpc<{ value: string; input: string }>('eth_getTransactionByHash', [settled.body.txHash]);
    expect(BigInt(tx.value)).toBe(4242n);
    expect(tx.input).toBe(request.authorization.nonce);
    expect((await getJson(`${api.url}/payments/${payment.id}`)).body.status).toBe('settled');
    const again = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already settled/);
  });

  it('refuses an authorization that does not match the payment, and passes on the facilitator\'s 400', async () => {
    const payment = await createPayment('10');
    const wrongValue = await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 11n }, anvil.chainId);
    const mismatch = await postJson(`${api.url}/payments/${payment.id}/settle`, wrongValue);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ field: 'authorization.value' });
    const expired = await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 10n, validBefore: 1n }, anvil.chainId);
    const refused = await postJson(`${api.url}/payments/${payment.id}/settle`, expired);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ field: 'authorization.validBefore' });
    expect((await getJson(`${api.url}/payments/${payment.id}`)).body.status).toBe('created');
  });

  it('answers 502 and marks the payment failed when the settlement fails on chain', async () => {
    const amount = (10n ** 30n).toString();
    const payment = await createPayment(amount);
    const request = await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 10n ** 30n }, anvil.chainId);
    const failed = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ error: 'settlement failed', payment: { status: 'failed' } });
    expect(failed.body.reason).toMatch(/insufficient funds/i);
  });
});

describe('the API when the facilitator is down', () => {
  it('answers 502 "facilitator unavailable" and leaves the payment to be settled again', async () => {
    const api = await startApi({ FACILITATOR_URL: `http://127.0.0.1:${await freePort()}`, RATE_LIMIT_MAX: '100000' });
    try {
      const payer = privateKeyToAccount(generatePrivateKey());
      const payee = privateKeyToAccount(generatePrivateKey()).address;
      const payment = (await postJson(`${api.url}/payments`, { type: 'paywall', amount: '8', payer: payer.address, payee })).body;
      const response = await postJson(`${api.url}/payments/${payment.id}/settle`, await signAuthorization(payer, { to: payee, value: 8n }, 31337));
      expect(response.status).toBe(502);
      expect(response.body).toEqual({ error: 'facilitator unavailable', reason: 'facilitator unreachable' });
      expect((await getJson(`${api.url}/payments/${payment.id}`)).body.status).toBe('created');
    } finally {
      await api.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM: in-flight settlements finish, new connections are refused, Redis and PostgreSQL are closed, exit 0', async () => {
    await clearFacilitatorKeys();
    const anvil = await startAnvil({ noMining: true });
    const facilitator = await startFacilitator({ RPC_URL: anvil.url, FACILITATOR_PRIVATE_KEY: anvil.privateKeys[0], RECEIPT_TIMEOUT_MS: '1500' });
    const api = await startApi({ FACILITATOR_URL: facilitator.url, RATE_LIMIT_MAX: '100000' });
    try {
      const payment = (await postJson(`${api.url}/payments`, { type: 'direct', amount: '5', payer: anvil.accounts[1]!.address, payee: anvil.accounts[2]!.address })).body;
      const request = await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 5n }, anvil.chainId);
      const inFlight = postJson(`${api.url}/payments/${payment.id}/settle`, request);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const started = Date.now();
      const exits = Promise.all([api.stop('SIGTERM'), facilitator.stop('SIGTERM')]);
      await vi.waitFor(() => expect(api.jsonLines().some((l) => String(l.msg).startsWith('SIGTERM: api stops accepting'))).toBe(true));
      const refused = await fetch(`${api.url}/health`).then(() => 'accepted', (error: Error) => String(error.cause ?? error));
      expect(refused).toMatch(/ECONNREFUSED/);
      const [apiExit, facilitatorExit] = await exits;
      const settled = await inFlight;
      expect(settled.status).toBe(202);
      expect(settled.body).toMatchObject({ status: 'pending' });
      expect(apiExit).toEqual({ code: 0, signal: null });
      expect(facilitatorExit).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(8000);
      const apiLog = api.jsonLines().map((l) => l.msg);
      expect(apiLog).toEqual(expect.arrayContaining(['closed redis', 'closed postgresql', 'api stopped']));
      expect(facilitator.jsonLines().map((l) => l.msg)).toEqual(expect.arrayContaining(['closed redis', 'facilitator stopped']));
    } finally {
      await api.stop('SIGKILL');
      await facilitator.stop('SIGKILL');
      await anvil.stop();
    }
  });
});
