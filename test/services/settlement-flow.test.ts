import { signAuthorization } from '@twinkle/facilitator/authorization';
import { Redis } from 'ioredis';
import { parseSignature, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { freePort } from '../helpers/loopback-server.js';
import { startPostgresServer } from '../helpers/postgres-server.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { startTokenChain, type TokenChain } from '../helpers/token-chain.js';
import { getJson, postJson, startApi, startFacilitator } from '../helpers/twinkle-services.js';

async function clearFacilitatorKeys(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys('facilitator:*');
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

const SETTLE = '/payments/:id/settle';

describe('a payment settled through the API, the facilitator and the token', () => {
  let chain: TokenChain;
  let facilitator: RunningApp;
  let api: RunningApp;

  const payer = () => chain.anvil.accounts[1]!;
  const payee = () => chain.anvil.accounts[2]!.address;
  const createPayment = async (amount: bigint, from = payer().address) => (await postJson(`${api.url}/payments`, { type: 'subscription', amount: String(amount), payer: from, payee: payee() })).body;
  const settleCount = async (status: string) => valueOf(await scrape(api.url), 'http_requests_total', { method: 'POST', route: SETTLE, status_code: status }) ?? 0;

  beforeAll(async () => {
    await clearFacilitatorKeys();
    chain = await startTokenChain();
    facilitator = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0] });
    // No reconciliation passes here: the shared database holds other tests' payments.
    api = await startApi({ FACILITATOR_URL: facilitator.url, RATE_LIMIT_MAX: '100000', RECONCILE_INTERVAL_MS: '3600000', SETTLEMENT_TIMEOUT_MS: '600000' });
  });
  afterAll(async () => {
    await api?.stop();
    await facilitator?.stop();
    await chain?.stop();
  });

  it('moves the payer\'s tokens to the payee, records the transaction and the authorization on the payment, logs it; a second settlement is refused', async () => {
    const amount = 4_242_000n;
    const payment = await createPayment(amount);
    const request = await chain.sign(payer(), { to: payee(), value: amount });
    const [payerBefore, payeeBefore] = await Promise.all([chain.balanceOf(payer().address), chain.balanceOf(payee())]);
    const settled = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ id: payment.id, status: 'settled', amount: '4242000', authorizationNonce: request.authorization.nonce });
    expect(settled.body.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await chain.balanceOf(payer().address)).toBe(payerBefore - amount);
    expect(await chain.balanceOf(payee())).toBe(payeeBefore + amount);
    const receipt = await chain.receipt(settled.body.txHash);
    expect(receipt.to!.toLowerCase()).toBe(chain.token.address.toLowerCase());
    expect(chain.events(receipt).map((e) => e.eventName)).toEqual(['AuthorizationUsed', 'Transfer']);
    expect((await getJson(`${api.url}/payments/${payment.id}`)).body).toMatchObject({ status: 'settled', txHash: settled.body.txHash });
    await vi.waitFor(() => expect(api.jsonLines().find((l) => l.msg === 'payment settled' && l.paymentId === payment.id)).toMatchObject({ txHash: settled.body.txHash, from: 'settling', via: 'facilitator' }));

    const again = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already settled/);
    expect(await chain.authorizationUses(payer().address, request.authorization.nonce as Hex)).toBe(1);
  });

  it('binds an authorization to one payment: using it for another payment is refused (409) before anything is sent', async () => {
    const first = await createPayment(10n);
    const second = await createPayment(10n);
    const request = await chain.sign(payer(), { to: payee(), value: 10n });
    expect((await postJson(`${api.url}/payments/${first.id}/settle`, request)).status).toBe(200);
    const reused = await postJson(`${api.url}/payments/${second.id}/settle`, request);
    expect(reused.status).toBe(409);
    expect(reused.body).toEqual({ error: `the authorization is already used for payment ${first.id}`, field: 'authorization.nonce' });
    expect((await getJson(`${api.url}/payments/${second.id}`)).body).toMatchObject({ status: 'created', txHash: null });
  });

  it('an authorization someone else already used on chain: the facilitator refuses it (409), the API asks what became of it and records the payment settled with that transaction; nothing more is sent', async () => {
    const payment = await createPayment(21n);
    const request = await chain.sign(payer(), { to: payee(), value: 21n });
    const a = request.authorization;
    const { v, r, s } = parseSignature(request.signature);
    const theirs = await chain.receipt(await chain.write(chain.anvil.accounts[3]!, 'transferWithAuthorization', [a.from, a.to, 21n, BigInt(a.validAfter!), BigInt(a.validBefore!), a.nonce, Number(v), r, s]));
    const sentBefore = await chain.sentBy(chain.anvil.accounts[0]!.address);
    const settled = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ status: 'settled', txHash: theirs.transactionHash });
    expect(await chain.sentBy(chain.anvil.accounts[0]!.address)).toBe(sentBefore);
    expect(await chain.authorizationUses(payer().address, a.nonce as Hex)).toBe(1);
  });

  it('refuses an authorization that does not match the payment, and passes on the facilitator\'s 400; the payment stays created', async () => {
    const payment = await createPayment(10n);
    const wrongValue = await chain.sign(payer(), { to: payee(), value: 11n });
    const mismatch = await postJson(`${api.url}/payments/${payment.id}/settle`, wrongValue);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ field: 'authorization.value' });
    const badNonce = await postJson(`${api.url}/payments/${payment.id}/settle`, { ...wrongValue, authorization: { ...wrongValue.authorization, value: '10', nonce: '0x12' } });
    expect(badNonce.body).toMatchObject({ field: 'authorization.nonce' });
    const expired = await chain.sign(payer(), { to: payee(), value: 10n, validBefore: 1n });
    const refused = await postJson(`${api.url}/payments/${payment.id}/settle`, expired);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ field: 'authorization.validBefore' });
    expect((await getJson(`${api.url}/payments/${payment.id}`)).body.status).toBe('created');
  });

  it('a payer without the tokens: 422 with the reason, nothing sent, the payment still created and holding no authorization; once funded, the same payment and authorization settle', async () => {
    const poor = privateKeyToAccount(generatePrivateKey());
    const payment = await createPayment(3_000_000n, poor.address);
    const request = await chain.sign(poor, { to: payee(), value: 3_000_000n });
    const sentBefore = await chain.sentBy(chain.anvil.accounts[0]!.address);
    const refused = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({ error: 'the payer holds 0 base units, the authorization is for 3000000', reason: 'invalid_exact_evm_insufficient_balance', field: 'authorization.value' });
    expect(await chain.sentBy(chain.anvil.accounts[0]!.address)).toBe(sentBefore);
    expect((await getJson(`${api.url}/payments/${payment.id}`)).body).toMatchObject({ status: 'created', txHash: null, authorizationNonce: null });

    await chain.receipt(await chain.write(payer(), 'transfer', [poor.address, 3_000_000n]));
    const settled = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body.status).toBe('settled');
    expect(await chain.balanceOf(poor.address)).toBe(0n);
  });

  it('counts what happened: facilitator settlements and API answers agree with the chain', async () => {
    const facilitatorMetrics = await scrape(facilitator.url);
    const successes = ['paywall', 'subscription', 'direct'].reduce((sum, type) => sum + (valueOf(facilitatorMetrics, 'twinkle_settlements_total', { status: 'success', type }) ?? 0), 0);
    // Settled by the facilitator: the first payment, the first of the two sharing an authorization, the one funded later.
    expect(successes).toBe(3);
    // The payer without the tokens was refused at verification: no settlement started, none failed.
    expect(valueOf(facilitatorMetrics, 'twinkle_settlements_total', { status: 'failure', type: 'subscription' }) ?? 0).toBe(0);
    // ... and through the API one more: the payment someone else paid on chain.
    expect(await settleCount('200')).toBe(4);
    expect(await settleCount('422')).toBe(1);
    expect(await settleCount('502')).toBe(0);
    expect(await settleCount('409')).toBe(2);
    expect(await chain.sentBy(chain.anvil.accounts[0]!.address)).toBe(3);
  });
});

describe('the API when the facilitator is down', () => {
  it('answers 503 "facilitator unavailable" (nothing was sent) and leaves the payment to be settled again', async () => {
    const api = await startApi({ FACILITATOR_URL: `http://127.0.0.1:${await freePort()}`, RATE_LIMIT_MAX: '100000', RECONCILE_INTERVAL_MS: '3600000', SETTLEMENT_TIMEOUT_MS: '600000' });
    try {
      const payer = privateKeyToAccount(generatePrivateKey());
      const payee = privateKeyToAccount(generatePrivateKey()).address;
      const payment = (await postJson(`${api.url}/payments`, { type: 'paywall', amount: '8', payer: payer.address, payee })).body;
      const domain = { name: 'Twinkle USD', version: '1', chainId: 31337, verifyingContract: payee };
      const response = await postJson(`${api.url}/payments/${payment.id}/settle`, await signAuthorization(payer, { to: payee, value: 8n }, domain));
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ error: 'facilitator unavailable', reason: 'facilitator unreachable' });
      expect((await getJson(`${api.url}/payments/${payment.id}`)).body.status).toBe('created');
      await vi.waitFor(() => expect(api.jsonLines().find((l) => l.msg === 'payment not settled' && l.paymentId === payment.id)).toMatchObject({ reason: 'nothing was sent: facilitator unreachable', status: 'created' }));
    } finally {
      await api.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM: in-flight settlements finish, new connections are refused, Redis and PostgreSQL are closed, exit 0', async () => {
    await clearFacilitatorKeys();
    // A database of its own: the payment is left pending, for no other test's reconciler to find.
    const postgres = await startPostgresServer();
    const chain = await startTokenChain({ noMining: true });
    const facilitator = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], RECEIPT_TIMEOUT_MS: '1500' });
    const api = await startApi({ DATABASE_URL: postgres.url, FACILITATOR_URL: facilitator.url, RATE_LIMIT_MAX: '100000', RECONCILE_INTERVAL_MS: '3600000', SETTLEMENT_TIMEOUT_MS: '600000' });
    try {
      const payment = (await postJson(`${api.url}/payments`, { type: 'direct', amount: '5', payer: chain.anvil.accounts[1]!.address, payee: chain.anvil.accounts[2]!.address })).body;
      const request = await chain.sign(chain.anvil.accounts[1]!, { to: chain.anvil.accounts[2]!.address, value: 5n });
      const inFlight = postJson(`${api.url}/payments/${payment.id}/settle`, request);
      await chain.waitForPoolTransaction(chain.anvil.accounts[0]!.address, 1);
      const started = Date.now();
      const exits = Promise.all([api.stop('SIGTERM'), facilitator.stop('SIGTERM')]);
      await vi.waitFor(() => expect(api.jsonLines().some((l) => String(l.msg).startsWith('SIGTERM: api stops accepting'))).toBe(true));
      const refused = await fetch(`${api.url}/health`).then(() => 'accepted', (error: Error) => String(error.cause ?? error));
      expect(refused).toMatch(/ECONNREFUSED/);
      const [apiExit, facilitatorExit] = await exits;
      const settled = await inFlight;
      expect(settled.status).toBe(202);
      expect(settled.body).toMatchObject({ status: 'pending', txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
      expect(apiExit).toEqual({ code: 0, signal: null });
      expect(facilitatorExit).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(8000);
      const apiLog = api.jsonLines().map((l) => l.msg);
      expect(apiLog).toEqual(expect.arrayContaining(['closed redis', 'closed postgresql', 'api stopped']));
      expect(facilitator.jsonLines().map((l) => l.msg)).toEqual(expect.arrayContaining(['closed redis', 'facilitator stopped']));
    } finally {
      await api.stop('SIGKILL');
      await facilitator.stop('SIGKILL');
      await chain.stop();
      await postgres.dispose();
    }
  });
});
