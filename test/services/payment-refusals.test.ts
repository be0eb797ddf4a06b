import { Redis } from 'ioredis';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy.js';
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

/** PostgreSQL's bigint ends at 9223372036854775807; these are beyond it. */
const BEYOND_BIGINT = ['9223372036854775808', '9999999999999999999', '99999999999999999999'];

describe('the API refuses what it cannot take and what a payer caused, never with a 500 (real Anvil, Redis, PostgreSQL)', () => {
  let chain: TokenChain;
  let rpc: RpcProxy;
  let facilitator: RunningApp;
  let api: RunningApp;
  const payer = () => chain.anvil.accounts[1]!;
  const payee = () => chain.anvil.accounts[2]!.address;
  const facilitatorAccount = () => chain.anvil.accounts[0]!.address;
  const createPayment = async (amount: bigint, extra: Record<string, unknown> = {}) => (await postJson(`${api.url}/payments`, { type: 'direct', amount: String(amount), payer: payer().address, payee: payee(), ...extra })).body;

  beforeAll(async () => {
    await clearFacilitatorKeys();
    chain = await startTokenChain();
    rpc = await startRpcProxy(chain.anvil.url);
    facilitator = await startFacilitator({ ...chain.facilitatorEnv, RPC_URL: rpc.url, RPC_TIMEOUT_MS: '500', FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0] });
    api = await startApi({ FACILITATOR_URL: facilitator.url, RATE_LIMIT_MAX: '100000', RECONCILE_INTERVAL_MS: '3600000', SETTLEMENT_TIMEOUT_MS: '600000' });
  });
  afterAll(async () => {
    await api?.stop();
    await facilitator?.stop();
    await rpc?.close();
    await chain?.stop();
  });

  it('answers a memo (or any string field) with U+0000 or a lone surrogate with 400 naming the field, and stores nothing', async () => {
    const before = (await getJson(`${api.url}/payments?limit=1`)).body.items[0]?.id;
    for (const [body, field] of [
      [`{"type":"direct","amount":"5","payer":"${payer().address}","payee":"${payee()}","memo":"a\\u0000b"}`, 'memo'],
      [`{"type":"direct","amount":"5","payer":"${payer().address}","payee":"${payee()}","memo":"\\ud800"}`, 'memo'],
      [`{"type":"direct","amount":"5","payer":"${payer().address}","payee":"${payee()}","memo":"ok","note":{"deep":["x","\\udc00"]}}`, 'note.deep[1]'],
      [`{"type":"direct\\u0000","amount":"5","payer":"${payer().address}","payee":"${payee()}"}`, 'type'],
    ] as const) {
      const response = await postJson(`${api.url}/payments`, body);
      expect(response.status, body).toBe(400);
      expect(response.body).toEqual({ error: `${field} must be text without NUL characters or unpaired UTF-16 surrogates`, field });
    }
    expect((await getJson(`${api.url}/payments?limit=1`)).body.items[0]?.id).toBe(before);
    // A well-formed pair (an emoji) is text: taken and given back unchanged.
    const emoji = await postJson(`${api.url}/payments`, { type: 'direct', amount: '5', payer: payer().address, payee: payee(), memo: 'paid 😀' });
    expect(emoji.status).toBe(201);
    expect((await getJson(`${api.url}/payments/${emoji.body.id}`)).body.memo).toBe('paid 😀');
  });

  it('answers an id beyond bigint with 400 on GET /payments/:id, GET /payments?before= and POST /payments/:id/settle', async () => {
    for (const id of BEYOND_BIGINT) {
      expect(await getJson(`${api.url}/payments/${id}`)).toMatchObject({ status: 400, body: { field: 'id' } });
      expect(await getJson(`${api.url}/payments?before=${id}`)).toMatchObject({ status: 400, body: { field: 'before' } });
      expect(await postJson(`${api.url}/payments/${id}/settle`, {})).toMatchObject({ status: 400, body: { field: 'id' } });
    }
    // The largest bigint is an id: unknown, so 404, and a page before it is every payment.
    expect((await getJson(`${api.url}/payments/9223372036854775807`)).status).toBe(404);
    expect((await getJson(`${api.url}/payments?before=9223372036854775807&limit=1`)).status).toBe(200);
    expect(valueOf(await scrape(api.url), 'http_requests_total', { method: 'GET', route: '/payments/:id', status_code: '500' })).toBeUndefined();
  });

  it('an RPC timeout before anything was sent: 503, nothing sent, the payment holds no authorization; the same call settles once the node answers', async () => {
    const payment = await createPayment(70n);
    const request = await chain.sign(payer(), { to: payee(), value: 70n });
    const sentBefore = await chain.sentBy(facilitatorAccount());
    // Reads answer (the signature and balance are verified); simulating the transfer hangs.
    rpc.hang('eth_estimateGas');
    try {
      const refused = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
      expect(refused.status, JSON.stringify(refused.body)).toBe(503);
      expect(refused.body).toMatchObject({ error: 'facilitator unavailable', reason: expect.stringMatching(/^facilitator answered 503/) });
      expect(rpc.calls('eth_estimateGas')).toBeGreaterThan(0);
    } finally {
      rpc.release();
    }
    expect(rpc.calls('eth_sendRawTransaction')).toBe(0);
    expect(await chain.sentBy(facilitatorAccount())).toBe(sentBefore);
    expect((await getJson(`${api.url}/payments/${payment.id}`)).body).toMatchObject({ status: 'created', authorizationNonce: null, txHash: null });
    const settled = await postJson(`${api.url}/payments/${payment.id}/settle`, request);
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ status: 'settled', authorizationNonce: request.authorization.nonce });
  });

  it('the facilitator answers an RPC timeout before sending with 503 (x402 body): nothing sent, the claim given back', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const signed = await chain.sign(payer(), { to: payee(), value: 71n, validBefore: now + 60n });
    const requirements = { scheme: 'exact', network: `eip155:${chain.anvil.chainId}`, amount: '71', asset: chain.token.address, payTo: payee(), maxTimeoutSeconds: 60, extra: { name: 'Twinkle USD', version: '1' } };
    const request = { x402Version: 2, paymentPayload: { x402Version: 2, payload: signed, accepted: requirements }, paymentRequirements: requirements };
    rpc.hang('eth_gasPrice');
    let refused;
    try {
      refused = await postJson(`${facilitator.url}/settle`, request);
    } finally {
      rpc.release();
    }
    expect(refused).toMatchObject({ status: 503, body: { success: false, errorReason: 'unexpected_settle_error', transaction: '' } });
    expect((await postJson(`${facilitator.url}/settle`, request)).body).toMatchObject({ success: true, transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
  });

  it('nonce squatting fails: a payment made by someone else for the payer, given the payer\'s authorization with its value changed, is refused (400) and binds nothing; the payer\'s own settlement succeeds', async () => {
    const own = await createPayment(50n);
    const request = await chain.sign(payer(), { to: payee(), value: 50n });
    // Someone who saw the authorization makes a payment with the same payer and another amount ...
    const squat = await createPayment(51n);
    const forged = { ...request, authorization: { ...request.authorization, value: '51' } };
    const attack = await postJson(`${api.url}/payments/${squat.id}/settle`, forged);
    expect(attack.status).toBe(400);
    expect(attack.body).toMatchObject({ reason: 'invalid_exact_evm_signature', field: 'signature' });
    expect((await getJson(`${api.url}/payments/${squat.id}`)).body).toMatchObject({ status: 'created', authorizationNonce: null });
    // ... and the payer's own settlement of the untouched authorization goes through.
    const settled = await postJson(`${api.url}/payments/${own.id}/settle`, request);
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ status: 'settled', authorizationNonce: request.authorization.nonce });
    expect(await chain.authorizationUses(payer().address, request.authorization.nonce as Hex)).toBe(1);
    // The squatter cannot take it afterwards either: it belongs to the payer's payment.
    const late = await postJson(`${api.url}/payments/${squat.id}/settle`, { ...forged, authorization: request.authorization });
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ field: 'authorization.value' });
  });
});
