import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme as ExactEvmClient } from '@x402/evm/exact/client';
import { ExactEvmScheme as ExactEvmServer } from '@x402/evm/exact/server';
import { decodePaymentResponseHeader, wrapFetchWithPaymentFromConfig } from '@x402/fetch';
import { paymentMiddleware, x402ResourceServer } from '@x402/hono';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import type { Hex, LocalAccount } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer } from '../helpers/loopback-server.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { startTokenChain, type TokenChain } from '../helpers/token-chain.js';
import { getJson, postJson, startApi, startFacilitator } from '../helpers/twinkle-services.js';

const PRICE = 10_000n;

async function clearFacilitatorKeys(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys('facilitator:*');
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

describe('x402 v2 with the reference packages (@x402/fetch, @x402/hono) on a real Anvil chain', () => {
  let chain: TokenChain;
  let facilitator: RunningApp;
  let api: RunningApp;
  const network = () => `eip155:${chain.anvil.chainId}` as const;
  const payer = () => chain.anvil.accounts[1]!;
  const payee = () => chain.anvil.accounts[2]!.address;
  const facilitatorAccount = () => chain.anvil.accounts[0]!.address;
  /** `fetch` as an unmodified x402 client pays with it: Twinkle USD allowed by its spend controls (it knows only default assets). */
  const payingFetch = (account: LocalAccount) =>
    wrapFetchWithPaymentFromConfig(fetch, {
      schemes: [{ network: network(), client: new ExactEvmClient(account) }],
      spendControls: { allowedAssets: [{ network: network(), asset: chain.token.address, maxAmountPerPayment: '1000000' }] },
    });

  beforeAll(async () => {
    await clearFacilitatorKeys();
    chain = await startTokenChain();
    facilitator = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0] });
    api = await startApi({ FACILITATOR_URL: facilitator.url, PAID_RESOURCE_PAY_TO: payee(), PAID_RESOURCE_PRICE: String(PRICE), RATE_LIMIT_MAX: '100000', RECONCILE_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    await api?.stop();
    await facilitator?.stop();
    await chain?.stop();
  });

  it('answers GET /supported with the one kind it settles and the account paying the gas', async () => {
    const { status, body } = await getJson(`${facilitator.url}/supported`);
    expect(status).toBe(200);
    expect(body).toEqual({ kinds: [{ x402Version: 2, scheme: 'exact', network: 'eip155:31337' }], extensions: [], signers: { 'eip155:*': [facilitatorAccount()] } });
  });

  it('answers a paid resource without payment with 402 and the requirements in PAYMENT-REQUIRED', async () => {
    const response = await fetch(`${api.url}/paid/report`);
    expect(response.status).toBe(402);
    const required = JSON.parse(Buffer.from(response.headers.get('payment-required')!, 'base64').toString('utf8'));
    expect(required).toEqual({
      x402Version: 2,
      error: 'payment required',
      resource: { url: `${api.url}/paid/report`, description: 'Twinkle paid resource report', mimeType: 'application/json' },
      accepts: [{ scheme: 'exact', network: network(), amount: String(PRICE), asset: chain.token.address, payTo: payee(), maxTimeoutSeconds: 300, extra: { name: 'Twinkle USD', version: '1' } }],
    });
    expect(await response.json()).toEqual(required);
  });

  it('@x402/fetch pays the API\'s paid resource through the facilitator: one transfer on chain, one settled payment, the settlement header decoded by the same package', async () => {
    const [payerBefore, payeeBefore, sentBefore] = await Promise.all([chain.balanceOf(payer().address), chain.balanceOf(payee()), chain.sentBy(facilitatorAccount())]);
    const metricsBefore = await scrape(facilitator.url);
    const response = await payingFetch(payer())(`${api.url}/paid/report`);
    expect(response.status, await response.clone().text()).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ resource: 'report', payment: { id: expect.any(String), txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) } });
    const settlement = decodePaymentResponseHeader(response.headers.get('payment-response')!);
    expect(settlement).toEqual({ success: true, transaction: body.payment.txHash, network: network(), payer: payer().address, amount: String(PRICE) });

    expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore + 1);
    expect(await chain.balanceOf(payer().address)).toBe(payerBefore - PRICE);
    expect(await chain.balanceOf(payee())).toBe(payeeBefore + PRICE);
    const receipt = await chain.receipt(settlement.transaction as Hex);
    expect(chain.events(receipt).map((e) => e.eventName)).toEqual(['AuthorizationUsed', 'Transfer']);
    const payment = (await getJson(`${api.url}/payments/${body.payment.id}`)).body;
    expect(payment).toMatchObject({ type: 'paywall', status: 'settled', amount: String(PRICE), payer: payer().address, payee: payee(), txHash: settlement.transaction, memo: 'GET /paid/report' });
    const nonce = chain.events(receipt).find((e) => e.eventName === 'AuthorizationUsed')!.args.nonce as string;
    expect(payment.authorizationNonce).toBe(nonce.toLowerCase());
    const metricsAfter = await scrape(facilitator.url);
    expect(valueOf(metricsAfter, 'twinkle_settlements_total', { status: 'success', type: 'paywall' })).toBe((valueOf(metricsBefore, 'twinkle_settlements_total', { status: 'success', type: 'paywall' }) ?? 0) + 1);
    expect(valueOf(await scrape(api.url), 'http_requests_total', { method: 'GET', route: '/paid/:resource', status_code: '402' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses a replayed payment header (402, the nonce used) and sends nothing more', async () => {
    let header: string | undefined;
    const recording: typeof fetch = async (input, init) => {
      header ??= (input instanceof Request ? input.headers : new Headers(init?.headers)).get('payment-signature') ?? undefined;
      return fetch(input, init);
    };
    const paid = await wrapFetchWithPaymentFromConfig(recording, {
      schemes: [{ network: network(), client: new ExactEvmClient(payer()) }],
      spendControls: { allowedAssets: [{ network: network(), asset: chain.token.address }] },
    })(`${api.url}/paid/replayed`);
    expect(paid.status).toBe(200);
    const sentBefore = await chain.sentBy(facilitatorAccount());
    const replay = await fetch(`${api.url}/paid/replayed`, { headers: { 'payment-signature': header! } });
    expect(replay.status).toBe(402);
    expect((await replay.json()).error).toBe('invalid_exact_evm_nonce_already_used');
    expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore);
  });

  it('@x402/hono\'s middleware pointed at the facilitator protects a route of another app; the same client pays it', async () => {
    const resourceServer = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitator.url })).register(network(), new ExactEvmServer());
    const app = new Hono();
    app.use(
      paymentMiddleware(
        { 'GET /weather': { accepts: { scheme: 'exact', network: network(), payTo: payee(), price: { amount: '25000', asset: chain.token.address, extra: { name: 'Twinkle USD', version: '1' } } }, description: 'the weather' } },
        resourceServer,
      ),
    );
    app.get('/weather', (c) => c.json({ weather: 'sunny' }));
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/weather`;
      expect((await fetch(url)).status).toBe(402);
      const [payeeBefore, sentBefore] = await Promise.all([chain.balanceOf(payee()), chain.sentBy(facilitatorAccount())]);
      const response = await payingFetch(payer())(url);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await response.json()).toEqual({ weather: 'sunny' });
      const settlement = decodePaymentResponseHeader(response.headers.get('payment-response')!);
      expect(settlement).toMatchObject({ success: true, network: network(), payer: payer().address, transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
      expect((await chain.receipt(settlement.transaction as Hex)).status).toBe('success');
      expect(await chain.balanceOf(payee())).toBe(payeeBefore + 25_000n);
      expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore + 1);
    } finally {
      await closeServer(server);
    }
  });

  describe('requirements that the signed authorization does not meet', () => {
    /** A valid x402 body for `value` to the payee, signed for 120 s, with `change` applied to it. */
    const body = async (change: (b: Record<string, any>) => void = () => {}, terms: { value?: bigint; validBefore?: bigint } = {}) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const now = BigInt(Math.floor(Date.now() / 1000));
      const signed = await chain.sign(payer(), { to: payee(), value: terms.value ?? PRICE, validBefore: terms.validBefore ?? now + 120n });
      const requirements = { scheme: 'exact', network: network(), amount: String(PRICE), asset: chain.token.address, payTo: payee(), maxTimeoutSeconds: 120, extra: { name: 'Twinkle USD', version: '1' } };
      const b: Record<string, any> = { x402Version: 2, paymentPayload: { x402Version: 2, payload: signed, accepted: { ...requirements }, resource: { url: 'http://example.test/r' } }, paymentRequirements: requirements }; // eslint-disable-line @typescript-eslint/no-explicit-any
      change(b);
      return b;
    };
    const other = () => chain.anvil.accounts[3]!.address;
    const cases: Array<[string, () => Promise<Record<string, unknown>>, string]> = [
      ['amount too low (the authorization is for less than the amount)', () => body(undefined, { value: PRICE - 1n }), 'invalid_exact_evm_payload_authorization_value_mismatch'],
      ['another payTo', () => body((b) => { b.paymentRequirements.payTo = other(); b.paymentPayload.accepted.payTo = other(); }), 'invalid_exact_evm_recipient_mismatch'],
      ['another asset', () => body((b) => { b.paymentRequirements.asset = other(); b.paymentPayload.accepted.asset = other(); }), 'invalid_payment_requirements'],
      ['another network', () => body((b) => { b.paymentRequirements.network = 'eip155:8453'; b.paymentPayload.accepted.network = 'eip155:8453'; }), 'invalid_network'],
      ['expired', () => body(undefined, { validBefore: BigInt(Math.floor(Date.now() / 1000)) - 1n }), 'invalid_exact_evm_payload_authorization_valid_before'],
      ['valid for longer than maxTimeoutSeconds', () => body(undefined, { validBefore: BigInt(Math.floor(Date.now() / 1000)) + 3600n }), 'invalid_exact_evm_payload_authorization_valid_before'],
      ['x402Version 1', () => body((b) => { b.x402Version = 1; b.paymentPayload.x402Version = 1; }), 'invalid_x402_version'],
      ['x402Version 3', () => body((b) => { b.x402Version = 3; b.paymentPayload.x402Version = 3; }), 'invalid_x402_version'],
      ['an unknown scheme', () => body((b) => { b.paymentRequirements.scheme = 'upto'; b.paymentPayload.accepted.scheme = 'upto'; }), 'unsupported_scheme'],
      ['the token\'s name wrong in extra', () => body((b) => { b.paymentRequirements.extra = { name: 'USD Coin', version: '1' }; }), 'invalid_exact_evm_token_name_mismatch'],
      ['a signature by someone else', () => body((b) => { b.paymentPayload.payload.authorization.from = other(); }), 'invalid_exact_evm_signature'],
    ];

    it.each(cases)('%s: /verify and /settle answer the protocol\'s reason, nothing is sent', async (_, make, reason) => {
      const sentBefore = await chain.sentBy(facilitatorAccount());
      const request = await make();
      const verify = await postJson(`${facilitator.url}/verify`, request);
      expect(verify.status).toBe(200);
      expect(verify.body).toMatchObject({ isValid: false, invalidReason: reason, invalidMessage: expect.any(String) });
      const settle = await postJson(`${facilitator.url}/settle`, request);
      expect(settle.status).toBe(200);
      expect(settle.body).toMatchObject({ success: false, errorReason: reason, transaction: '', network: network() });
      expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore);
    });

    it('verifies and settles the same body unchanged (the cases above fail for their change alone)', async () => {
      const request = await body();
      expect((await postJson(`${facilitator.url}/verify`, request)).body).toEqual({ isValid: true, payer: payer().address });
      const settle = await postJson(`${facilitator.url}/settle`, request);
      expect(settle.body).toMatchObject({ success: true, transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/), network: network(), payer: payer().address, amount: String(PRICE) });
      // Settled once: the same body again is the nonce used.
      expect((await postJson(`${facilitator.url}/settle`, request)).body).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_nonce_already_used' });
    });

    it('a payer without the balance: /verify says invalid_exact_evm_insufficient_balance; /settle fails with it, sends nothing, and the type label comes from extra.settlementType', async () => {
      const poor = chain.anvil.accounts[3]!;
      const value = (await chain.balanceOf(poor.address)) + 1n;
      const now = BigInt(Math.floor(Date.now() / 1000));
      const signed = await chain.sign(poor, { to: payee(), value, validBefore: now + 60n });
      const requirements = { scheme: 'exact', network: network(), amount: String(value), asset: chain.token.address, payTo: payee(), maxTimeoutSeconds: 60, extra: { name: 'Twinkle USD', version: '1', settlementType: 'direct' } };
      const request = { x402Version: 2, paymentPayload: { x402Version: 2, payload: signed, accepted: requirements }, paymentRequirements: requirements };
      expect((await postJson(`${facilitator.url}/verify`, request)).body).toMatchObject({ isValid: false, invalidReason: 'invalid_exact_evm_insufficient_balance', payer: poor.address });
      const before = await scrape(facilitator.url);
      const sentBefore = await chain.sentBy(facilitatorAccount());
      const settle = await postJson(`${facilitator.url}/settle`, request);
      expect(settle).toMatchObject({ status: 200, body: { success: false, errorReason: 'invalid_exact_evm_insufficient_balance', errorMessage: 'insufficient balance (ERC20InsufficientBalance)', transaction: '' } });
      expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore);
      const after = await scrape(facilitator.url);
      expect(valueOf(after, 'twinkle_settlements_total', { status: 'failure', type: 'direct' })).toBe((valueOf(before, 'twinkle_settlements_total', { status: 'failure', type: 'direct' }) ?? 0) + 1);
    });
  });
});
