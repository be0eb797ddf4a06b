import { decodeFunctionData, parseSignature, type Hex } from 'viem';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EIP3009_ABI } from '../../services/facilitator/dist/eip3009-abi.js';
import { freePort } from '../helpers/loopback-server.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { eventMessage, startSentryReceiver, type SentryReceiver } from '../helpers/sentry-receiver.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { startTokenChain, type TokenChain } from '../helpers/token-chain.js';
import { getJson, postJson, startFacilitator } from '../helpers/twinkle-services.js';

const TYPES = ['paywall', 'subscription', 'direct'] as const;
const UINT256_MAX = 2n ** 256n - 1n;
const settlements = (s: Awaited<ReturnType<typeof scrape>>, status: string, type: string): number => valueOf(s, 'twinkle_settlements_total', { status, type }) ?? 0;
const allSettlements = (s: Awaited<ReturnType<typeof scrape>>): Record<string, number> =>
  Object.fromEntries(TYPES.flatMap((type) => ['success', 'failure', 'pending'].map((status) => [`${status} ${type}`, settlements(s, status, type)])));

async function clearFacilitatorKeys(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const stale = await redis.keys('facilitator:*');
  if (stale.length > 0) await redis.del(...stale);
  redis.disconnect();
}

describe('facilitator on a real Anvil chain with Twinkle USD, and Redis', () => {
  let chain: TokenChain;
  let facilitator: RunningApp;
  let sentry: SentryReceiver;
  let otlp: OtlpReceiver;

  const payer = () => chain.anvil.accounts[1]!;
  const payee = () => chain.anvil.accounts[2]!.address;
  const facilitatorAccount = () => chain.anvil.accounts[0]!.address;
  const sent = () => chain.sentBy(facilitatorAccount());
  const signed = (value = 1000n, terms: { validAfter?: bigint; validBefore?: bigint } = {}) => chain.sign(payer(), { to: payee(), value, ...terms });

  beforeAll(async () => {
    await clearFacilitatorKeys();
    chain = await startTokenChain();
    sentry = await startSentryReceiver();
    otlp = await startOtlpReceiver();
    facilitator = await startFacilitator({
      ...chain.facilitatorEnv,
      RPC_URL: chain.anvil.url,
      FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0],
      RECEIPT_TIMEOUT_MS: '10000',
      SENTRY_DSN: sentry.dsn,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    });
  });
  afterAll(async () => {
    await facilitator?.stop();
    await chain?.stop();
    await sentry?.close();
    await otlp?.close();
  });

  it('answers /health in the contract\'s format with redis and rpc checks, and no secret', async () => {
    const { status, body } = await getJson(`${facilitator.url}/health`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['checks', 'service', 'status', 'timestamp', 'uptime']);
    expect(body).toMatchObject({ status: 'healthy', service: 'facilitator', checks: { redis: { status: 'ok' }, rpc: { status: 'ok' } } });
    expect(Object.keys(body.checks).sort()).toEqual(['redis', 'rpc']);
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(Number.isInteger(body.uptime) && Number.isInteger(body.checks.rpc.latency)).toBe(true);
    const text = JSON.stringify(body);
    expect(text).not.toContain(chain.anvil.privateKeys[0]!.slice(2));
    expect(text).not.toContain(String(chain.anvil.port));
  });

  it('names its network and token on GET /', async () => {
    expect((await getJson(`${facilitator.url}/`)).body).toEqual({
      service: 'facilitator',
      version: '0.1.0',
      network: `eip155:${chain.anvil.chainId}`,
      token: { address: chain.token.address, name: 'Twinkle USD', version: '1' },
    });
  });

  it('answers an unknown route with JSON 404, like every other error', async () => {
    for (const [method, path] of [['GET', '/nothing-here'], ['POST', '/settle/extra'], ['GET', '/authorizations/0x1']]) {
      const response = await fetch(`${facilitator.url}${path}`, { method });
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(await response.json(), path).toEqual({ error: 'not found' });
    }
  });

  it('verifies an authorization against the token: signature under its domain, the payer\'s balance, the authorization unused; nothing is sent', async () => {
    const before = await sent();
    const { status, body } = await postJson(`${facilitator.url}/verify`, { type: 'paywall', ...(await signed()) });
    expect(status).toBe(200);
    expect(body).toEqual({ isValid: true, payer: payer().address });
    expect(await sent()).toBe(before);
  });

  it('settles each type with transferWithAuthorization: the payer\'s tokens move to the payee, AuthorizationUsed is emitted, only the facilitator pays gas', async () => {
    for (const type of TYPES) {
      const value = 1_234_567n;
      const request = await signed(value);
      const nonce = request.authorization.nonce as Hex;
      const [payerTokens, payeeTokens, payerEth, payeeEth, facilitatorEth] = await Promise.all([
        chain.balanceOf(payer().address),
        chain.balanceOf(payee()),
        chain.ethBalance(payer().address),
        chain.ethBalance(payee()),
        chain.ethBalance(facilitatorAccount()),
      ]);
      const { status, body } = await postJson(`${facilitator.url}/settle`, { type, ...request });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toEqual({ success: true, status: 'success', transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/), network: `eip155:${chain.anvil.chainId}`, payer: payer().address });

      const tx = await chain.client.getTransaction({ hash: body.transaction });
      expect(tx.from.toLowerCase()).toBe(facilitatorAccount().toLowerCase());
      expect(tx.to!.toLowerCase()).toBe(chain.token.address.toLowerCase());
      expect(tx.value).toBe(0n);
      const call = decodeFunctionData({ abi: EIP3009_ABI, data: tx.input });
      expect(call.functionName).toBe('transferWithAuthorization');
      expect(call.args!.slice(0, 6)).toEqual([payer().address, payee(), value, 0n, BigInt(request.authorization.validBefore!), nonce]);

      const receipt = await chain.receipt(body.transaction);
      expect(receipt.status).toBe('success');
      expect(chain.events(receipt)).toEqual([
        expect.objectContaining({ eventName: 'AuthorizationUsed', args: { authorizer: payer().address, nonce } }),
        expect.objectContaining({ eventName: 'Transfer', args: { from: payer().address, to: payee(), value } }),
      ]);
      expect(await chain.balanceOf(payer().address)).toBe(payerTokens - value);
      expect(await chain.balanceOf(payee())).toBe(payeeTokens + value);
      // Gas: the facilitator paid exactly the receipt's fee; payer and payee paid nothing.
      expect(await chain.ethBalance(facilitatorAccount())).toBe(facilitatorEth - receipt.gasUsed * receipt.effectiveGasPrice);
      expect(await chain.ethBalance(payer().address)).toBe(payerEth);
      expect(await chain.ethBalance(payee())).toBe(payeeEth);
      expect((await getJson(`${facilitator.url}/authorizations/${payer().address}/${nonce}`)).body).toEqual({ status: 'settled', transaction: body.transaction, network: `eip155:${chain.anvil.chainId}`, payer: payer().address });
    }
  });

  it('rejects bad input with 400 and a clear reason, records no settlement and sends nothing to the chain', async () => {
    const before = await scrape(facilitator.url);
    const sentBefore = await sent();
    const good = await signed();
    const now = BigInt(Math.floor(Date.now() / 1000));
    const otherSigner = await chain.sign(chain.anvil.accounts[3]!, { to: payee(), value: 1000n });
    const otherToken = await chain.sign(payer(), { to: payee(), value: 1000n }, { ...chain.domain, verifyingContract: chain.anvil.accounts[3]!.address });
    const otherChain = await chain.sign(payer(), { to: payee(), value: 1000n }, { ...chain.domain, chainId: 8453 });
    const otherName = await chain.sign(payer(), { to: payee(), value: 1000n }, { ...chain.domain, name: 'USD Coin', version: '2' });
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
      ['value above uint256', { type: 'paywall', authorization: { ...good.authorization, value: String(UINT256_MAX + 1n) }, signature: good.signature }, /authorization.value must be a non-negative integer/, 'authorization.value'],
      ['missing signature', { type: 'paywall', authorization: good.authorization }, /signature must be/, 'signature'],
      ['signature of someone else', { type: 'paywall', authorization: { ...otherSigner.authorization, from: payer().address }, signature: otherSigner.signature }, /signature does not match authorization.from/, 'signature'],
      ['signed for another token', { type: 'paywall', ...otherToken }, /signature does not match authorization.from under the token's EIP-712 domain \(Twinkle USD v1/, 'signature'],
      ['signed for another chain id', { type: 'paywall', ...otherChain }, new RegExp(`signature does not match .* chain ${chain.anvil.chainId}, ${chain.token.address}`), 'signature'],
      ['signed under another token name and version', { type: 'paywall', ...otherName }, /signature does not match/, 'signature'],
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
    expect(await sent()).toBe(sentBefore);
    expect(allSettlements(await scrape(facilitator.url))).toEqual(allSettlements(before));
  });

  it('refuses an authorization the token already used (settled by someone else) on /verify and /settle: 409, nothing sent, no settlement recorded', async () => {
    const request = await signed(55n);
    const { v, r, s } = parseSignature(request.signature);
    const a = request.authorization;
    // Someone else (here account 3) submits the payer's authorization to the token directly.
    const receipt = await chain.receipt(await chain.write(chain.anvil.accounts[3]!, 'transferWithAuthorization', [a.from, a.to, BigInt(a.value!), BigInt(a.validAfter!), BigInt(a.validBefore!), a.nonce, Number(v), r, s]));
    expect(receipt.status).toBe('success');
    const before = await scrape(facilitator.url);
    const sentBefore = await sent();
    for (const path of ['/verify', '/settle']) {
      const response = await postJson(`${facilitator.url}${path}`, { type: 'direct', ...request });
      expect(response.status, path).toBe(409);
      expect(response.body).toEqual({ error: 'authorization already used', field: 'authorization.nonce' });
    }
    expect(await sent()).toBe(sentBefore);
    expect(allSettlements(await scrape(facilitator.url))).toEqual(allSettlements(before));
    expect((await getJson(`${facilitator.url}/authorizations/${a.from}/${a.nonce}`)).body).toMatchObject({ status: 'settled', transaction: receipt.transactionHash });
    expect(await chain.authorizationUses(payer().address, a.nonce as Hex)).toBe(1);
  });

  it('a payer without the balance: /verify refuses (400); /settle fails with the token\'s reason (recorded, on the span, in Sentry, one short log line), sends nothing and releases the claim', async () => {
    const poor = chain.anvil.accounts[3]!;
    const value = (await chain.balanceOf(poor.address)) + 1n;
    const request = { type: 'subscription', ...(await chain.sign(poor, { to: payee(), value })) };
    const verify = await postJson(`${facilitator.url}/verify`, request);
    expect(verify.status).toBe(400);
    expect(verify.body).toEqual({ error: `insufficient balance: the payer holds ${value - 1n} base units, the authorization is for ${value}`, field: 'authorization.value' });

    const before = await scrape(facilitator.url);
    const sentBefore = await sent();
    const linesBefore = facilitator.stdoutLines().length;
    const settle = await postJson(`${facilitator.url}/settle`, request);
    expect(settle.status).toBe(200);
    expect(settle.body).toEqual({ success: false, status: 'failure', errorReason: 'insufficient balance (ERC20InsufficientBalance)', transaction: null, network: `eip155:${chain.anvil.chainId}`, payer: poor.address });
    expect(await sent()).toBe(sentBefore);
    // Nothing reached the chain, so the claim was given back: the same authorization fails again (not 409).
    expect((await postJson(`${facilitator.url}/settle`, request)).body.errorReason).toBe('insufficient balance (ERC20InsufficientBalance)');
    const after = await scrape(facilitator.url);
    expect(settlements(after, 'failure', 'subscription')).toBe(settlements(before, 'failure', 'subscription') + 2);

    const failedLines = () => facilitator.stdoutLines().slice(linesBefore).filter((l) => l.includes('"settlement failed"'));
    await vi.waitFor(() => expect(failedLines()).toHaveLength(2));
    const failed = failedLines();
    const line = JSON.parse(failed[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, msg: 'settlement failed', type: 'subscription', payer: poor.address, authorizationHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    // The class and the chain's reason only: no stack, no raw transaction, no viem message (those are at debug).
    expect(line.err).toEqual({ type: 'ContractFunctionRevertedError', message: 'insufficient balance (ERC20InsufficientBalance)' });
    expect(failed[0]!).not.toMatch(/0xf8[0-9a-f]{100}|Request Arguments|Docs:|Version: viem|\\n {4}at /);
    expect(failed[0]!.length).toBeLessThan(600);
    expect(facilitator.stdoutLines().slice(linesBefore).some((l) => l.includes('settlement failed: the whole error'))).toBe(false);

    const events = await sentry.waitFor((all) => all.some((e) => e.contexts?.twinkle?.settlement?.type === 'subscription'));
    const event = events.find((e) => e.contexts?.twinkle?.settlement?.type === 'subscription')!;
    expect(event.exception.values[0].type).toBe('SettlementFailedError');
    expect(eventMessage(event)).toBe('insufficient balance (ERC20InsufficientBalance)');
    const spans = await otlp.waitFor((all) => all.some((s) => s.name === 'settlement subscription' && s.status.code === 2));
    expect(spans.find((s) => s.name === 'settlement subscription' && s.status.code === 2)!.status.message).toBe('insufficient balance (ERC20InsufficientBalance)');
  });

  it('settles an authorization valid until the end of uint256 (its Redis claim is capped, not refused)', async () => {
    const { status, body } = await postJson(`${facilitator.url}/settle`, { type: 'direct', ...(await signed(3n, { validBefore: UINT256_MAX })) });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe('success');
  });

  it('settles the same authorization once: the replay is refused (409) and sends no second transaction', async () => {
    const request = { type: 'direct', ...(await signed(77n)) };
    const payeeBefore = await chain.balanceOf(payee());
    const first = await postJson(`${facilitator.url}/settle`, request);
    expect(first.status).toBe(200);
    const sentAfterFirst = await sent();
    const second = await postJson(`${facilitator.url}/settle`, request);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: 'authorization already used', field: 'authorization.nonce' });
    expect(await sent()).toBe(sentAfterFirst);
    expect(await chain.balanceOf(payee())).toBe(payeeBefore + 77n);
  });

  it('hands out nonces from Redis under concurrent settlements: none used twice, no gap', async () => {
    const start = await sent();
    const requests = await Promise.all(Array.from({ length: 24 }, (_, i) => signed(BigInt(100 + i))));
    const responses = await Promise.all(requests.map((request, i) => postJson(`${facilitator.url}/settle`, { type: TYPES[i % 3], ...request })));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const nonces = await Promise.all(responses.map(async (r) => (await chain.client.getTransaction({ hash: r.body.transaction })).nonce));
    expect(nonces.sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => start + i));
    expect(await sent()).toBe(start + 24);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const nonceKey = `facilitator:nonce:${chain.anvil.chainId}:${facilitatorAccount().toLowerCase()}`;
      expect(await redis.keys('*nonce*')).toContain(nonceKey);
      expect(await redis.get(nonceKey)).toBe(String(start + 24));
    } finally {
      redis.disconnect();
    }
  });

  it('resyncs the Redis nonce from the chain when they disagree', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const nonceKey = `facilitator:nonce:${chain.anvil.chainId}:${facilitatorAccount().toLowerCase()}`;
      const chainNonce = await sent();
      await redis.set(nonceKey, String(chainNonce + 50));
      const { status, body } = await postJson(`${facilitator.url}/settle`, { type: 'paywall', ...(await signed()) });
      expect(status).toBe(200);
      expect((await chain.client.getTransaction({ hash: body.transaction })).nonce).toBe(chainNonce);
      expect(await redis.get(nonceKey)).toBe(String(chainNonce + 1));
      await vi.waitFor(() => expect(facilitator.jsonLines().filter((l) => l.msg === 'nonce resynced from the chain').at(-1)).toMatchObject({ redisNonce: chainNonce + 50, chainNonce }));
    } finally {
      redis.disconnect();
    }
  });

  it('answers GET /authorizations/:from/:nonce: unused for one never sent, 400 for a bad address or nonce', async () => {
    const unused = await signed();
    expect((await getJson(`${facilitator.url}/authorizations/${payer().address}/${unused.authorization.nonce}`)).body).toEqual({ status: 'unused', transaction: null, network: `eip155:${chain.anvil.chainId}`, payer: payer().address });
    expect((await getJson(`${facilitator.url}/authorizations/0x12/${unused.authorization.nonce}`)).body).toEqual({ error: 'from must be a 0x-prefixed 20-byte hex address', field: 'from' });
    expect((await getJson(`${facilitator.url}/authorizations/${payer().address}/0x1234`)).body).toEqual({ error: 'nonce must be 0x followed by 64 hex digits', field: 'nonce' });
  });

  it('shows twinkle_settlements_total for every type and status the tests produced', async () => {
    const s = await scrape(facilitator.url);
    for (const type of TYPES) expect(settlements(s, 'success', type), type).toBeGreaterThan(0);
    expect(settlements(s, 'failure', 'subscription')).toBe(2);
    expect(valueOf(s, 'twinkle_settlement_duration_seconds_count', { status: 'success' })).toBeGreaterThanOrEqual(30);
  });
});

describe('facilitator when the chain, Redis or its configuration fails it', () => {
  let sentry: SentryReceiver;
  let chain: TokenChain;

  beforeAll(async () => {
    await clearFacilitatorKeys();
    sentry = await startSentryReceiver();
    chain = await startTokenChain({ noMining: true });
  });
  afterAll(async () => {
    await sentry?.close();
    await chain?.stop();
  });

  const sign = (value: bigint, terms: { validBefore?: bigint } = {}) => chain.sign(chain.anvil.accounts[1]!, { to: chain.anvil.accounts[2]!.address, value, ...terms });
  const facilitatorAccount = () => chain.anvil.accounts[0]!.address;

  it('with every RPC URL down: settlements end as failure (recorded and captured), /health 503 fast', async () => {
    const down = [await freePort(), await freePort()].map((port) => `http://127.0.0.1:${port}`);
    const app = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: down.join(','), FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], SENTRY_DSN: sentry.dsn });
    try {
      const request = { type: 'paywall', ...(await sign(5n)) };
      const { status, body } = await postJson(`${app.url}/settle`, request);
      expect(status).toBe(200);
      expect(body).toMatchObject({ success: false, status: 'failure' });
      expect(body.errorReason).toMatch(/HTTP request failed/);
      expect(body.errorReason).not.toMatch(/127\.0\.0\.1/);
      expect(valueOf(await scrape(app.url), 'twinkle_settlements_total', { status: 'failure', type: 'paywall' })).toBe(1);
      await sentry.waitFor((all) => all.some((e) => e.contexts?.twinkle?.settlement?.type === 'paywall'));
      // Nothing reached a chain, so the claim was given back: the same authorization fails again rather than 409.
      expect((await postJson(`${app.url}/settle`, request)).body).toMatchObject({ status: 'failure' });
      // /verify cannot check the chain: 503, nothing was decided.
      expect(await postJson(`${app.url}/verify`, request)).toMatchObject({ status: 503, body: { error: 'rpc unavailable' } });
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
    await chain.anvil.rpc('evm_setAutomine', [true]);
    const app = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: `http://127.0.0.1:${await freePort()},${chain.anvil.url}`, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0] });
    try {
      const { status, body } = await postJson(`${app.url}/settle`, { type: 'direct', ...(await sign(5n)) });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.status).toBe('success');
      expect((await getJson(`${app.url}/health`)).status).toBe(200);
    } finally {
      await app.stop();
      await chain.anvil.rpc('evm_setAutomine', [false]);
    }
  });

  it('with Redis down: refuses settlements with 503 (it cannot tell whether an authorization was claimed), /health 503', async () => {
    const app = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], REDIS_URL: `redis://127.0.0.1:${await freePort()}`, DEPENDENCY_TIMEOUT_MS: '300' });
    try {
      const before = await chain.sentBy(facilitatorAccount());
      const refused = await postJson(`${app.url}/settle`, { type: 'paywall', ...(await sign(3n)) });
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ error: 'redis unavailable' });
      expect(await chain.sentBy(facilitatorAccount())).toBe(before);
      const health = await getJson(`${app.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body.checks).toMatchObject({ redis: { status: 'error' }, rpc: { status: 'ok' } });
    } finally {
      await app.stop();
    }
  });

  it('without FACILITATOR_PRIVATE_KEY: says so once, verifies, and refuses settlements with 503', async () => {
    const app = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: undefined });
    try {
      const request = { type: 'direct', ...(await sign(3n)) };
      expect((await postJson(`${app.url}/verify`, request)).status).toBe(200);
      const refused = await postJson(`${app.url}/settle`, request);
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatch(/FACILITATOR_PRIVATE_KEY is not configured/);
      expect(app.jsonLines().filter((l) => l.msg === 'FACILITATOR_PRIVATE_KEY is not set; settlements are refused')).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });

  it('without TOKEN_ADDRESS: says so once and answers /verify and /settle with 503', async () => {
    const app = await startFacilitator({ RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], TOKEN_ADDRESS: undefined });
    try {
      const request = { type: 'direct', ...(await sign(3n)) };
      for (const path of ['/verify', '/settle']) expect(await postJson(`${app.url}${path}`, request), path).toMatchObject({ status: 503, body: { error: 'no token configured: TOKEN_ADDRESS is not set' } });
      expect((await getJson(`${app.url}/`)).body.token).toBeNull();
      expect(app.jsonLines().filter((l) => l.msg === 'TOKEN_ADDRESS is not set; verifications and settlements are refused')).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });

  it('with TOKEN_NAME or TOKEN_VERSION not the token\'s: says so in one line at start-up, and refuses the token\'s signatures', async () => {
    const app = await startFacilitator({ ...chain.facilitatorEnv, TOKEN_NAME: 'USD Coin', TOKEN_VERSION: '2', RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0] });
    try {
      await vi.waitFor(() => expect(app.jsonLines().filter((l) => String(l.msg).startsWith('the token\'s DOMAIN_SEPARATOR() is not the EIP-712 domain'))).toHaveLength(1));
      const refused = await postJson(`${app.url}/verify`, { type: 'direct', ...(await sign(3n)) });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(/under the token's EIP-712 domain \(USD Coin v2/);
    } finally {
      await app.stop();
    }
  });

  it('records a settlement whose receipt does not arrive in time as pending (202); its status says pending with the hash', async () => {
    const app = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], RECEIPT_TIMEOUT_MS: '800' });
    try {
      const request = await sign(9n);
      const { status, body } = await postJson(`${app.url}/settle`, { type: 'subscription', ...request });
      expect(status, JSON.stringify(body)).toBe(202);
      expect(body).toMatchObject({ success: true, status: 'pending' });
      expect(await chain.anvil.rpc('eth_getTransactionReceipt', [body.transaction])).toBeNull();
      const s = await scrape(app.url);
      expect(valueOf(s, 'twinkle_settlements_total', { status: 'pending', type: 'subscription' })).toBe(1);
      expect(valueOf(s, 'twinkle_settlement_duration_seconds_count', { status: 'pending' })).toBe(1);
      const status1 = (await getJson(`${app.url}/authorizations/${request.authorization.from}/${request.authorization.nonce}`)).body;
      expect(status1).toMatchObject({ status: 'pending', transaction: body.transaction });
      // A replay while it is in the pool: refused, nothing more sent (the token's pending state says used).
      const count = await chain.sentBy(facilitatorAccount());
      expect((await postJson(`${app.url}/settle`, { type: 'subscription', ...request })).status).toBe(409);
      expect(await chain.sentBy(facilitatorAccount())).toBe(count);
      await chain.mine();
      expect((await getJson(`${app.url}/authorizations/${request.authorization.from}/${request.authorization.nonce}`)).body).toMatchObject({ status: 'settled', transaction: body.transaction });
    } finally {
      await app.stop();
    }
  });

  it('the token reverts after broadcast (the payer moved its tokens first): a failure with the revert reason and hash, no nonce gap, the claim kept', async () => {
    const app = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0], RECEIPT_TIMEOUT_MS: '15000', LOG_LEVEL: 'debug' });
    try {
      const payer = chain.anvil.accounts[1]!;
      const request = { type: 'paywall', ...(await sign(1_000_000n)) };
      const nonceBefore = await chain.sentBy(facilitatorAccount());
      const settling = postJson(`${app.url}/settle`, request);
      await chain.waitForPoolTransaction(facilitatorAccount(), nonceBefore + 1);
      // Verified and simulated, in the pool: now the payer empties its balance with a better-paid transfer, mined first.
      const balance = await chain.balanceOf(payer.address);
      const gasPrice = (await chain.client.getGasPrice()) * 3n;
      await chain.write(payer, 'transfer', [chain.anvil.accounts[3]!.address, balance], gasPrice);
      await chain.mine();
      const { status, body } = await settling;
      expect(status).toBe(200);
      expect(body).toMatchObject({ success: false, status: 'failure', errorReason: 'insufficient balance (ERC20InsufficientBalance)', transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
      const receipt = await chain.receipt(body.transaction);
      expect(receipt.status).toBe('reverted');
      expect((await chain.client.getTransaction({ hash: body.transaction })).nonce).toBe(nonceBefore);
      expect(await chain.authorizationUses(payer.address, request.authorization.nonce as Hex)).toBe(0);
      expect(valueOf(await scrape(app.url), 'twinkle_settlements_total', { status: 'failure', type: 'paywall' })).toBe(1);
      await vi.waitFor(() => expect(app.jsonLines().find((l) => l.msg === 'settlement failed')).toMatchObject({ level: 40, txHash: body.transaction, err: { type: 'ContractFunctionRevertedError', message: 'insufficient balance (ERC20InsufficientBalance)' } }));
      // At LOG_LEVEL=debug the whole error follows, stack and all; the warning stays one short line.
      const whole = app.jsonLines().find((l) => l.msg === 'settlement failed: the whole error') as { level: number; txHash: string; err: { type: string; stack: string } } | undefined;
      expect(whole).toMatchObject({ level: 20, txHash: body.transaction, err: { type: 'SettlementFailedError' } });
      expect(whole!.err.stack).toMatch(/\n {4}at /);
      expect(app.stdoutLines().find((l) => l.includes('"msg":"settlement failed"'))!.length).toBeLessThan(600);
      expect((await getJson(`${app.url}/authorizations/${payer.address}/${request.authorization.nonce}`)).body).toMatchObject({ status: 'failed', transaction: body.transaction, reason: 'transaction reverted' });
      // Something reached the chain: the claim stays (409), and the next settlement takes the next nonce.
      expect((await postJson(`${app.url}/settle`, request)).status).toBe(409);
      await chain.write(chain.anvil.accounts[3]!, 'transfer', [payer.address, balance]);
      await chain.mine();
      const next = postJson(`${app.url}/settle`, { type: 'paywall', ...(await sign(5n)) });
      await chain.waitForPoolTransaction(facilitatorAccount(), nonceBefore + 2);
      await chain.mine();
      const nextBody = (await next).body;
      expect(nextBody.status).toBe('success');
      expect((await chain.client.getTransaction({ hash: nextBody.transaction })).nonce).toBe(nonceBefore + 1);
    } finally {
      await app.stop();
    }
  });
});
