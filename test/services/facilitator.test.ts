import { signAuthorization } from '@twinkle/facilitator/authorization';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { freePort } from '../helpers/loopback-server.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { eventMessage, startSentryReceiver, type SentryReceiver } from '../helpers/sentry-receiver.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { getJson, postJson, startFacilitator } from '../helpers/twinkle-services.js';

interface ChainTx { nonce: string; from: string; to: string; value: string; input: string }

const settlements = (s: Awaited<ReturnType<typeof scrape>>, status: string, type: string): number => valueOf(s, 'twinkle_settlements_total', { status, type }) ?? 0;

describe('facilitator on a real Anvil chain and Redis', () => {
  let anvil: Anvil;
  let redis: Redis;
  let facilitator: RunningApp;
  let sentry: SentryReceiver;

  const payer = () => anvil.accounts[1]!;
  const payee = () => anvil.accounts[2]!.address;
  const facilitatorAddress = () => anvil.accounts[0]!.address;
  const txCount = async () => Number.parseInt(await anvil.rpc<string>('eth_getTransactionCount', [facilitatorAddress(), 'pending']), 16);
  const signed = (value = 1000n, terms: { validAfter?: bigint; validBefore?: bigint } = {}) => signAuthorization(payer(), { to: payee(), value, ...terms }, anvil.chainId);

  beforeAll(async () => {
    anvil = await startAnvil();
    redis = new Redis(TEST_REDIS_URL);
    const stale = await redis.keys('facilitator:*');
    if (stale.length > 0) await redis.del(...stale);
    sentry = await startSentryReceiver();
    facilitator = await startFacilitator({ RPC_URL: anvil.url, FACILITATOR_PRIVATE_KEY: anvil.privateKeys[0], RECEIPT_TIMEOUT_MS: '10000', SENTRY_DSN: sentry.dsn });
  });
  afterAll(async () => {
    await facilitator?.stop();
    await anvil?.stop();
    await sentry?.close();
    redis?.disconnect();
  });

  it('answers /health in the guide\'s format with redis and rpc checks, and no secret', async () => {
    const { status, body } = await getJson(`${facilitator.url}/health`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['checks', 'service', 'status', 'timestamp', 'uptime']);
    expect(body).toMatchObject({ status: 'healthy', service: 'facilitator', checks: { redis: { status: 'ok' }, rpc: { status: 'ok' } } });
    expect(Object.keys(body.checks).sort()).toEqual(['redis', 'rpc']);
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(Number.isInteger(body.uptime) && Number.isInteger(body.checks.rpc.latency)).toBe(true);
    const text = JSON.stringify(body);
    expect(text).not.toContain(anvil.privateKeys[0]!.slice(2));
    expect(text).not.toContain(String(anvil.port));
  });

  it('verifies a signed authorization', async () => {
    const { status, body } = await postJson(`${facilitator.url}/verify`, { type: 'paywall', ...(await signed()) });
    expect(status).toBe(200);
    expect(body).toEqual({ isValid: true, payer: payer().address });
  });

  it('settles each type on chain: the facilitator pays the payee, the authorization nonce as data', async () => {
    for (const type of ['paywall', 'subscription', 'direct'] as const) {
      const request = await signed(1234n);
      const { status, body } = await postJson(`${facilitator.url}/settle`, { type, ...request });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ success: true, status: 'success', network: `eip155:${anvil.chainId}`, payer: payer().address });
      const tx = await anvil.rpc<ChainTx>('eth_getTransactionByHash', [body.transaction]);
      expect(tx.from.toLowerCase()).toBe(facilitatorAddress().toLowerCase());
      expect(tx.to.toLowerCase()).toBe(payee().toLowerCase());
      expect(BigInt(tx.value)).toBe(1234n);
      expect(tx.input).toBe(request.authorization.nonce);
      const receipt = await anvil.rpc<{ status: string }>('eth_getTransactionReceipt', [body.transaction]);
      expect(receipt.status).toBe('0x1');
    }
  });

  it('rejects bad input with 400 and a clear reason, records no settlement and sends nothing to the chain', async () => {
    const before = await scrape(facilitator.url);
    const sentBefore = await txCount();
    const good = await signed();
    const now = BigInt(Math.floor(Date.now() / 1000));
    const otherSigner = await signAuthorization(anvil.accounts[3]!, { to: payee(), value: 1000n }, anvil.chainId);
    const expired = await signed(1000n, { validAfter: 0n, validBefore: now - 10n });
    const notYet = await signed(1000n, { validAfter: now + 3600n, validBefore: now + 7200n });
    const cases: Array<[string, unknown, RegExp, string | undefined]> = [
      ['malformed JSON', '{"type": "paywall", ', /malformed JSON/, undefined],
      ['not an object', '[1, 2]', /JSON object/, undefined],
      ['missing type', { authorization: good.authorization, signature: good.signature }, /type is required/, 'type'],
      ['unknown type', { type: 'gift', ...good }, /type must be one of paywall, subscription, direct/, 'type'],
      ['missing authorization', { type: 'paywall', signature: good.signature }, /authorization must be an object/, 'authorization'],
      ['missing from', { type: 'paywall', authorization: { ...good.authorization, from: undefined }, signature: good.signature }, /authorization.from is required/, 'authorization.from'],
      ['amount not a number', { type: 'paywall', authorization: { ...good.authorization, value: 'ten' }, signature: good.signature }, /authorization.value must be a non-negative integer/, 'authorization.value'],
      ['amount a float', { type: 'paywall', authorization: { ...good.authorization, value: 1.5 }, signature: good.signature }, /authorization.value must be a non-negative integer/, 'authorization.value'],
      ['missing signature', { type: 'paywall', authorization: good.authorization }, /signature must be/, 'signature'],
      ['signature of someone else', { type: 'paywall', authorization: { ...otherSigner.authorization, from: payer().address }, signature: otherSigner.signature }, /signature does not match authorization.from/, 'signature'],
      ['tampered amount', { type: 'paywall', authorization: { ...good.authorization, value: '999999' }, signature: good.signature }, /signature does not match/, 'signature'],
      ['expired', { type: 'paywall', ...expired }, /authorization expired/, 'authorization.validBefore'],
      ['not yet valid', { type: 'paywall', ...notYet }, /not yet valid/, 'authorization.validAfter'],
    ];
    for (const path of ['/verify', '/settle']) {
      for (const [name, body, reason, field] of cases) {
        const response = await postJson(`${facilitator.url}${path}`, body);
        expect(response.status, `${path} ${name}`).toBe(400);
        expect(response.body.error, `${path} ${name}`).toMatch(reason);
        expect(response.body.field, `${path} ${name}`).toBe(field);
      }
    }
    expect(await txCount()).toBe(sentBefore);
    const after = await scrape(facilitator.url);
    for (const status of ['success', 'failure', 'pending']) {
      for (const type of ['paywall', 'subscription', 'direct']) expect(settlements(after, status, type), `${status} ${type}`).toBe(settlements(before, status, type));
    }
  });

  it('settles the same authorization once: the second is rejected and sends no second transaction', async () => {
    const request = { type: 'direct', ...(await signed(77n)) };
    const first = await postJson(`${facilitator.url}/settle`, request);
    expect(first.status).toBe(200);
    const sent = await txCount();
    const second = await postJson(`${facilitator.url}/settle`, request);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: 'authorization already used', field: 'authorization.nonce' });
    expect(await txCount()).toBe(sent);
  });

  it('hands out nonces from Redis under concurrent settlements: none used twice, no gap', async () => {
    const start = await txCount();
    const requests = await Promise.all(Array.from({ length: 24 }, (_, i) => signed(BigInt(100 + i))));
    const responses = await Promise.all(requests.map((request, i) => postJson(`${facilitator.url}/settle`, { type: (['paywall', 'subscription', 'direct'] as const)[i % 3], ...request })));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const nonces = await Promise.all(responses.map(async (r) => Number.parseInt((await anvil.rpc<ChainTx>('eth_getTransactionByHash', [r.body.transaction])).nonce, 16)));
    expect(nonces.sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => start + i));
    expect(await txCount()).toBe(start + 24);
    const keys = await redis.keys('*nonce*');
    const nonceKey = `facilitator:nonce:${anvil.chainId}:${facilitatorAddress().toLowerCase()}`;
    expect(keys).toContain(nonceKey);
    expect(await redis.get(nonceKey)).toBe(String(start + 24));
  });

  it('resyncs the Redis nonce from the chain when they disagree', async () => {
    const nonceKey = `facilitator:nonce:${anvil.chainId}:${facilitatorAddress().toLowerCase()}`;
    const chainNonce = await txCount();
    await redis.set(nonceKey, String(chainNonce + 50));
    const { status, body } = await postJson(`${facilitator.url}/settle`, { type: 'paywall', ...(await signed()) });
    expect(status).toBe(200);
    expect(Number.parseInt((await anvil.rpc<ChainTx>('eth_getTransactionByHash', [body.transaction])).nonce, 16)).toBe(chainNonce);
    expect(await redis.get(nonceKey)).toBe(String(chainNonce + 1));
    await vi.waitFor(() => expect(facilitator.jsonLines().filter((l) => l.msg === 'nonce resynced from the chain').at(-1)).toMatchObject({ redisNonce: chainNonce + 50, chainNonce }));
  });

  it('records a settlement the node refuses as a failure, captured, and leaves no nonce gap', async () => {
    const sentBefore = await txCount();
    const { status, body } = await postJson(`${facilitator.url}/settle`, { type: 'subscription', ...(await signed(10n ** 30n)) });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: false, status: 'failure', transaction: null });
    expect(body.errorReason).toMatch(/insufficient funds/i);
    expect(body.errorReason).not.toContain(anvil.url);
    const events = await sentry.waitFor((all) => all.some((e) => e.contexts?.twinkle?.settlement?.type === 'subscription'));
    expect(eventMessage(events.find((e) => e.contexts?.twinkle?.settlement?.type === 'subscription')!)).toMatch(/insufficient funds/i);
    // The nonce the failed broadcast took is reused by the next settlement.
    const next = await postJson(`${facilitator.url}/settle`, { type: 'subscription', ...(await signed()) });
    expect(Number.parseInt((await anvil.rpc<ChainTx>('eth_getTransactionByHash', [next.body.transaction])).nonce, 16)).toBe(sentBefore);
  });

  it('shows twinkle_settlements_total for every type and status the tests produced', async () => {
    const s = await scrape(facilitator.url);
    for (const type of ['paywall', 'subscription', 'direct']) expect(settlements(s, 'success', type), type).toBeGreaterThan(0);
    expect(settlements(s, 'failure', 'subscription')).toBe(1);
    expect(valueOf(s, 'twinkle_settlement_duration_seconds_count', { status: 'success' })).toBeGreaterThanOrEqual(30);
  });
});

describe('facilitator when the chain does not answer', () => {
  let sentry: SentryReceiver;
  let anvil: Anvil;

  beforeAll(async () => {
    sentry = await startSentryReceiver();
    anvil = await startAnvil({ noMining: true });
  });
  afterAll(async () => {
    await sentry?.close();
    await anvil?.stop();
  });

  it('with every RPC URL down: settlements end as failure (recorded and captured), /health 503 fast', async () => {
    const down = [await freePort(), await freePort()].map((port) => `http://127.0.0.1:${port}`);
    const app = await startFacilitator({ RPC_URL: down.join(','), CHAIN_ID: String(anvil.chainId), FACILITATOR_PRIVATE_KEY: anvil.privateKeys[0], SENTRY_DSN: sentry.dsn });
    try {
      const request = { type: 'paywall', ...(await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 5n }, anvil.chainId)) };
      const { status, body } = await postJson(`${app.url}/settle`, request);
      expect(status).toBe(200);
      expect(body).toMatchObject({ success: false, status: 'failure' });
      expect(body.errorReason).toMatch(/HTTP request failed/);
      expect(valueOf(await scrape(app.url), 'twinkle_settlements_total', { status: 'failure', type: 'paywall' })).toBe(1);
      await sentry.waitFor((all) => all.some((e) => e.contexts?.twinkle?.settlement?.type === 'paywall'));
      // Nothing reached a chain, so the claim was given back: the same authorization may be retried.
      expect((await postJson(`${app.url}/settle`, request)).status).toBe(200);
      const started = Date.now();
      const health = await getJson(`${app.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body.checks.rpc.status).toBe('error');
      expect(health.body.checks.redis.status).toBe('ok');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await app.stop();
    }
  });

  it('falls back to the next RPC URL when the first is down', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    await redis.set(`facilitator:nonce:${anvil.chainId}:${anvil.accounts[0]!.address.toLowerCase()}`, '0');
    redis.disconnect();
    await anvil.rpc('evm_setAutomine', [true]);
    const app = await startFacilitator({ RPC_URL: `http://127.0.0.1:${await freePort()},${anvil.url}`, FACILITATOR_PRIVATE_KEY: anvil.privateKeys[0] });
    try {
      const { status, body } = await postJson(`${app.url}/settle`, { type: 'direct', ...(await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 5n }, anvil.chainId)) });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.status).toBe('success');
      expect((await getJson(`${app.url}/health`)).status).toBe(200);
    } finally {
      await app.stop();
      await anvil.rpc('evm_setAutomine', [false]);
    }
  });

  it('with Redis down: refuses settlements with 503 (it cannot tell whether an authorization was used), /health 503', async () => {
    await anvil.rpc('evm_setAutomine', [true]);
    const app = await startFacilitator({ RPC_URL: anvil.url, FACILITATOR_PRIVATE_KEY: anvil.privateKeys[0], REDIS_URL: `redis://127.0.0.1:${await freePort()}`, DEPENDENCY_TIMEOUT_MS: '300' });
    try {
      const sent = await anvil.rpc<string>('eth_getTransactionCount', [anvil.accounts[0]!.address, 'pending']);
      const request = { type: 'paywall', ...(await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 3n }, anvil.chainId)) };
      const refused = await postJson(`${app.url}/settle`, request);
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ error: 'redis unavailable' });
      expect(await anvil.rpc<string>('eth_getTransactionCount', [anvil.accounts[0]!.address, 'pending'])).toBe(sent);
      const health = await getJson(`${app.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body.checks).toMatchObject({ redis: { status: 'error' }, rpc: { status: 'ok' } });
    } finally {
      await app.stop();
      await anvil.rpc('evm_setAutomine', [false]);
    }
  });

  it('without FACILITATOR_PRIVATE_KEY: says so once, verifies, and refuses settlements with 503', async () => {
    const app = await startFacilitator({ RPC_URL: anvil.url, FACILITATOR_PRIVATE_KEY: undefined });
    try {
      const request = { type: 'direct', ...(await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 3n }, anvil.chainId)) };
      expect((await postJson(`${app.url}/verify`, request)).status).toBe(200);
      const refused = await postJson(`${app.url}/settle`, request);
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatch(/FACILITATOR_PRIVATE_KEY is not configured/);
      expect(app.jsonLines().filter((l) => l.msg === 'FACILITATOR_PRIVATE_KEY is not set; settlements are refused')).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });

  it('records a settlement whose receipt does not arrive in time as pending (202)', async () => {
    const app = await startFacilitator({ RPC_URL: anvil.url, FACILITATOR_PRIVATE_KEY: anvil.privateKeys[0], RECEIPT_TIMEOUT_MS: '800' });
    try {
      const { status, body } = await postJson(`${app.url}/settle`, { type: 'subscription', ...(await signAuthorization(anvil.accounts[1]!, { to: anvil.accounts[2]!.address, value: 9n }, anvil.chainId)) });
      expect(status, JSON.stringify(body)).toBe(202);
      expect(body).toMatchObject({ success: true, status: 'pending' });
      expect(await anvil.rpc('eth_getTransactionReceipt', [body.transaction])).toBeNull();
      const s = await scrape(app.url);
      expect(valueOf(s, 'twinkle_settlements_total', { status: 'pending', type: 'subscription' })).toBe(1);
      expect(valueOf(s, 'twinkle_settlement_duration_seconds_count', { status: 'pending' })).toBe(1);
    } finally {
      await app.stop();
    }
  });
});
