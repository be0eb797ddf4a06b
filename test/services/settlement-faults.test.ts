/**
 * Settlements through faults, each ending with the database, the chain and the metrics
 * telling the same story. Redis and PostgreSQL are killed, flushed and stopped here, so
 * each is a server of this file's own (never the shared ones on :6390 and :5433).
 */
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { startTokenChain, type TokenChain } from '../helpers/token-chain.js';
import { getJson, postJson, startApi, startFacilitator } from '../helpers/twinkle-services.js';

const SETTLE = '/payments/:id/settle';
const settled = async (app: RunningApp, type: string, status = 'success'): Promise<number> => valueOf(await scrape(app.url), 'twinkle_settlements_total', { status, type }) ?? 0;
const answered = async (api: RunningApp, code: string): Promise<number> => valueOf(await scrape(api.url), 'http_requests_total', { method: 'POST', route: SETTLE, status_code: code }) ?? 0;

describe('exactly once when Redis loses its data (the facilitator on a Redis of its own)', () => {
  let chain: TokenChain;
  let redis: RedisServer;
  let facilitator: RunningApp;
  const payer = () => chain.anvil.accounts[1]!;
  const payee = () => chain.anvil.accounts[2]!.address;
  const facilitatorAccount = () => chain.anvil.accounts[0]!.address;

  beforeAll(async () => {
    chain = await startTokenChain();
    redis = await startRedisServer();
    facilitator = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, REDIS_URL: redis.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], DEPENDENCY_TIMEOUT_MS: '500' });
  });
  afterAll(async () => {
    await facilitator?.stop();
    await redis?.dispose();
    await chain?.stop();
  });

  /** Settles, loses Redis's data with `lose`, settles the same body again: refused, and the chain moved the tokens once. */
  const replayAfter = async (type: 'paywall' | 'direct', lose: () => Promise<void>): Promise<void> => {
    const request = { type, ...(await chain.sign(payer(), { to: payee(), value: 700_000n })) };
    const payeeBefore = await chain.balanceOf(payee());
    const successesBefore = await settled(facilitator, type);
    const first = await postJson(`${facilitator.url}/settle`, request);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const sentAfterFirst = await chain.sentBy(facilitatorAccount());
    expect(await redis.client().keys('facilitator:authorization:*')).toHaveLength(1);

    await lose();
    expect(await redis.client().keys('*')).toEqual([]);

    const second = await postJson(`${facilitator.url}/settle`, request);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: 'authorization already used', field: 'authorization.nonce' });
    // The chain, the metrics and the status all say: one transfer, one transaction.
    expect(await chain.sentBy(facilitatorAccount())).toBe(sentAfterFirst);
    expect(await chain.authorizationUses(payer().address, request.authorization.nonce as Hex)).toBe(1);
    expect(await chain.balanceOf(payee())).toBe(payeeBefore + 700_000n);
    expect(await settled(facilitator, type)).toBe(successesBefore + 1);
    expect(await settled(facilitator, type, 'failure')).toBe(0);
    expect((await getJson(`${facilitator.url}/authorizations/${payer().address}/${request.authorization.nonce}`)).body).toMatchObject({ status: 'settled', transaction: first.body.transaction });
  };

  it('Redis flushed between two identical /settle calls: the second is refused (409), no second transaction', async () => {
    await replayAfter('paywall', async () => void (await redis.client().flushall()));
  });

  it('Redis killed and restarted (no persistence) between two identical /settle calls: refused (409), no second transaction; the nonce key is rebuilt from the chain with one log line', async () => {
    await replayAfter('direct', async () => {
      await redis.kill('SIGKILL');
      await redis.restart();
      await vi.waitFor(async () => expect((await getJson(`${facilitator.url}/health`)).status).toBe(200), { timeout: 10_000, interval: 200 });
    });
    const rebuilt = () => facilitator.jsonLines().filter((l) => l.msg === 'nonce key missing from Redis (its data was lost); rebuilt from the chain');
    const before = rebuilt().length;
    const next = await postJson(`${facilitator.url}/settle`, { type: 'direct', ...(await chain.sign(payer(), { to: payee(), value: 5n })) });
    expect(next.status).toBe(200);
    const chainNonce = (await chain.sentBy(facilitatorAccount())) - 1;
    expect((await chain.client.getTransaction({ hash: next.body.transaction })).nonce).toBe(chainNonce);
    await vi.waitFor(() => expect(rebuilt()).toHaveLength(before + 1));
    expect(rebuilt().at(-1)).toMatchObject({ level: 40, chainNonce, nonceKey: `facilitator:nonce:${chain.anvil.chainId}:${facilitatorAccount().toLowerCase()}` });
    expect(await redis.client().get(`facilitator:nonce:${chain.anvil.chainId}:${facilitatorAccount().toLowerCase()}`)).toBe(String(chainNonce + 1));
  });
});

describe('payments converge to what happened on chain (the API on a PostgreSQL of its own)', () => {
  let chain: TokenChain;
  let postgres: PostgresServer;
  let redis: RedisServer;
  let facilitator: RunningApp;
  let api: RunningApp;
  const payer = () => chain.anvil.accounts[1]!;
  const payee = () => chain.anvil.accounts[2]!.address;
  const facilitatorAccount = () => chain.anvil.accounts[0]!.address;
  // The facilitator waits 2 s for a receipt; the API 5 s for the facilitator, so a payment still
  // `settling` after 5 s has no request waiting for it and the reconciler (every 300 ms) takes it.
  const apiEnv = (databaseUrl: string, reconcileMs = '300') => ({ DATABASE_URL: databaseUrl, FACILITATOR_URL: facilitator.url, RATE_LIMIT_MAX: '100000', SETTLEMENT_TIMEOUT_MS: '5000', RECONCILE_INTERVAL_MS: reconcileMs, DEPENDENCY_TIMEOUT_MS: '500' });

  beforeAll(async () => {
    [chain, postgres, redis] = await Promise.all([startTokenChain({ noMining: true }), startPostgresServer(), startRedisServer()]);
    facilitator = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, REDIS_URL: redis.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], RECEIPT_TIMEOUT_MS: '2000', DEPENDENCY_TIMEOUT_MS: '500' });
    api = await startApi(apiEnv(postgres.url));
  });
  afterAll(async () => {
    await api?.stop();
    await facilitator?.stop();
    await Promise.all([postgres?.dispose(), redis?.dispose(), chain?.stop()]);
  });

  const newPayment = async (amount: bigint, on: RunningApp = api) => (await postJson(`${on.url}/payments`, { type: 'paywall', amount: String(amount), payer: payer().address, payee: payee() })).body as { id: string };
  /** Starts settling `payment` through `on`; resolves once its transaction is in the pool, with the answer to come. */
  const settleUntilSent = async (payment: { id: string }, body: unknown, on: RunningApp = api): Promise<{ answer: ReturnType<typeof postJson> }> => {
    const count = await chain.sentBy(facilitatorAccount());
    const answer = postJson(`${on.url}/payments/${payment.id}/settle`, body);
    await chain.waitForPoolTransaction(facilitatorAccount(), count + 1);
    return { answer };
  };
  const paymentOf = async (id: string, on: RunningApp = api) => (await getJson(`${on.url}/payments/${id}`)).body;
  const lineOf = (app: RunningApp, msg: string, paymentId: string) => app.jsonLines().find((l) => l.msg === msg && l.paymentId === paymentId);

  it('the facilitator refuses with 503 (its Redis is down): the API answers 503, the payment stays settleable, and once Redis is back the same call settles it', async () => {
    const payment = await newPayment(1_500_000n);
    const request = await chain.sign(payer(), { to: payee(), value: 1_500_000n });
    const [successes, payeeBefore, sentBefore] = await Promise.all([settled(facilitator, 'paywall'), chain.balanceOf(payee()), chain.sentBy(facilitatorAccount())]);

    await redis.kill('SIGKILL');
    const refused = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: 'facilitator unavailable', reason: 'facilitator answered 503 (redis unavailable)' });
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'created', txHash: null });
    expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore);
    await vi.waitFor(() => expect(lineOf(api, 'payment created', payment.id)).toMatchObject({ from: 'settling', txHash: null, reason: 'nothing was sent: facilitator answered 503 (redis unavailable)' }));

    await redis.restart();
    await vi.waitFor(async () => expect((await getJson(`${facilitator.url}/health`)).status).toBe(200), { timeout: 10_000, interval: 200 });
    const { answer } = await settleUntilSent(payment, request);
    await chain.mine();
    const done = await answer;
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ status: 'settled', txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    // The chain, the database and the metrics: one transfer, one settled payment, one success.
    expect((await chain.receipt(done.body.txHash)).status).toBe('success');
    expect(await chain.balanceOf(payee())).toBe(payeeBefore + 1_500_000n);
    expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore + 1);
    expect(await settled(facilitator, 'paywall')).toBe(successes + 1);
    expect(await settled(facilitator, 'paywall', 'failure')).toBe(0);
    expect(await answered(api, '503')).toBe(1);
    expect(await answered(api, '200')).toBe(1);
  });

  it('PostgreSQL stopped while a settlement is in flight and mined: the client gets 503, the hash is logged, and once PostgreSQL is back the payment is settled with it without any client action', async () => {
    const payment = await newPayment(2_000_000n);
    const request = await chain.sign(payer(), { to: payee(), value: 2_000_000n });
    const [successes, payeeBefore] = await Promise.all([settled(facilitator, 'paywall'), chain.balanceOf(payee())]);
    const { answer } = await settleUntilSent(payment, request);
    await postgres.stop();
    await chain.mine();
    const response = await answer;
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: 'database unavailable' });
    await vi.waitFor(() => expect(lineOf(api, `payment ${payment.id} not recorded as settled: database unavailable; the reconciler records its outcome once the database is back`, payment.id)).toBeDefined());
    const txHash = lineOf(api, `payment ${payment.id} not recorded as settled: database unavailable; the reconciler records its outcome once the database is back`, payment.id)!.txHash as Hex;
    expect(txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await chain.receipt(txHash)).status).toBe('success');

    await postgres.start();
    await vi.waitFor(async () => expect(await paymentOf(payment.id)).toMatchObject({ status: 'settled', txHash }), { timeout: 20_000, interval: 250 });
    await vi.waitFor(() => expect(lineOf(api, 'payment settled', payment.id)).toMatchObject({ txHash, from: 'settling|pending', via: 'reconciler' }));
    expect(await chain.balanceOf(payee())).toBe(payeeBefore + 2_000_000n);
    expect(await chain.authorizationUses(payer().address, request.authorization.nonce as Hex)).toBe(1);
    expect(await settled(facilitator, 'paywall')).toBe(successes + 1);
    expect(await answered(api, '503')).toBe(2);
  });

  it('the API killed while a settlement is in flight: the payment left settling is reconciled at start-up, settled with its hash', async () => {
    // A database of its own: the other API of this file (reconciling every 300 ms) never sees it.
    const databaseUrl = await postgres.createDatabase('killed');
    const first = await startApi(apiEnv(databaseUrl, '3600000'));
    const payment = await newPayment(300_000n, first);
    const request = await chain.sign(payer(), { to: payee(), value: 300_000n });
    const { answer } = await settleUntilSent(payment, request, first);
    const cut = answer.then(() => 'answered', () => 'connection cut');
    const startedAt = Date.now();
    await first.stop('SIGKILL');
    expect(await cut).toBe('connection cut');
    await chain.mine();

    // Past the API's settlement bound, no request can still be waiting for it: the next start-up pass takes it.
    await new Promise((r) => setTimeout(r, Math.max(0, 5500 - (Date.now() - startedAt))));
    const second = await startApi(apiEnv(databaseUrl, '3600000'));
    try {
      await vi.waitFor(() => expect(lineOf(second, 'payment settled', payment.id)).toMatchObject({ via: 'reconciler', from: 'settling|pending' }), { timeout: 10_000 });
      const txHash = lineOf(second, 'payment settled', payment.id)!.txHash as Hex;
      expect(await paymentOf(payment.id, second)).toMatchObject({ status: 'settled', txHash });
      expect((await chain.receipt(txHash)).status).toBe('success');
      expect(chain.events(await chain.receipt(txHash)).find((e) => e.eventName === 'AuthorizationUsed')!.args).toEqual({ authorizer: payer().address, nonce: request.authorization.nonce });
    } finally {
      await second.stop();
    }
  });

  it('no receipt in time: 202 pending with the hash; once mined, the reconciler settles it', async () => {
    const payment = await newPayment(400_000n);
    const request = await chain.sign(payer(), { to: payee(), value: 400_000n });
    const { answer } = await settleUntilSent(payment, request);
    const pending = await answer;
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: 'pending', txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(await settled(facilitator, 'paywall', 'pending')).toBe(1);
    await chain.mine();
    await vi.waitFor(async () => expect(await paymentOf(payment.id)).toMatchObject({ status: 'settled', txHash: pending.body.txHash }), { timeout: 10_000, interval: 200 });
    await vi.waitFor(() => expect(lineOf(api, 'payment settled', payment.id)).toMatchObject({ via: 'reconciler', txHash: pending.body.txHash }));
  });

  it('pending, then reverted on chain (the payer spent its tokens first): the reconciler marks it failed with the hash; settled again with a new authorization once funded', async () => {
    const spender = chain.anvil.accounts[3]!;
    const payment = (await postJson(`${api.url}/payments`, { type: 'direct', amount: '600000', payer: spender.address, payee: payee() })).body as { id: string };
    const request = await chain.sign(spender, { to: payee(), value: 600_000n });
    const { answer } = await settleUntilSent(payment, request);
    const balance = await chain.balanceOf(spender.address);
    await chain.write(spender, 'transfer', [payer().address, balance], (await chain.client.getGasPrice()) * 3n);
    const pending = await answer;
    expect(pending.status).toBe(202);
    await chain.mine();
    expect((await chain.receipt(pending.body.txHash)).status).toBe('reverted');
    await vi.waitFor(async () => expect(await paymentOf(payment.id)).toMatchObject({ status: 'failed', txHash: pending.body.txHash }), { timeout: 10_000, interval: 200 });
    await vi.waitFor(() => expect(lineOf(api, 'payment failed', payment.id)).toMatchObject({ level: 40, via: 'reconciler', txHash: pending.body.txHash, reason: 'transaction reverted' }));

    await chain.write(payer(), 'transfer', [spender.address, 600_000n]);
    await chain.mine();
    const retry = await chain.sign(spender, { to: payee(), value: 600_000n });
    const { answer: again } = await settleUntilSent(payment, retry);
    await chain.mine();
    const done = await again;
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ status: 'settled', authorizationNonce: retry.authorization.nonce });
    expect(await chain.authorizationUses(spender.address, request.authorization.nonce as Hex)).toBe(0);
    expect(await chain.authorizationUses(spender.address, retry.authorization.nonce as Hex)).toBe(1);
  });
});
