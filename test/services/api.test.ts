import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendRequests } from '../helpers/load.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/services.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { getJson, postJson, startApi } from '../helpers/twinkle-services.js';

const PAYER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const PAYEE = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const newPayment = (overrides: Record<string, unknown> = {}) => ({ type: 'paywall', amount: '1000', payer: PAYER, payee: PAYEE, ...overrides });
const LIMIT_KEY = 'api:ratelimit:127.0.0.1';

function urlVia(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.host = `127.0.0.1:${proxy.port}`;
  return parsed.toString();
}

describe('API on real PostgreSQL and Redis', () => {
  let api: RunningApp;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await redis.del(LIMIT_KEY);
    api = await startApi({ RATE_LIMIT_MAX: '100000' });
  });
  afterAll(async () => {
    await api?.stop();
    await redis?.del(LIMIT_KEY);
    redis?.disconnect();
  });

  it("answers /health in the contract's format with redis and database checks", async () => {
    const { status, body, headers } = await getJson(`${api.url}/health`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['checks', 'service', 'status', 'timestamp', 'uptime']);
    expect(body).toMatchObject({ status: 'healthy', service: 'api', checks: { redis: { status: 'ok' }, database: { status: 'ok' } } });
    expect(Object.keys(body.checks.database).sort()).toEqual(['latency', 'status']);
    expect(JSON.stringify(body)).not.toMatch(/postgres:|redis:\/\/|5433|6390/);
    expect(headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('creates, reads and pages payments', async () => {
    const created: Array<Record<string, string | null>> = [];
    for (let i = 0; i < 5; i++) {
      const { status, body, headers } = await postJson(`${api.url}/payments`, newPayment({ amount: String(100 + i), memo: `order ${i}` }));
      expect(status).toBe(201);
      expect(headers.get('x-ratelimit-limit')).toBe('100000');
      created.push(body);
    }
    expect(created[0]).toMatchObject({ type: 'paywall', amount: '100', payer: PAYER, payee: PAYEE, memo: 'order 0', status: 'created', txHash: null });
    const one = await getJson(`${api.url}/payments/${created[2]!.id}`);
    expect(one.body).toEqual(created[2]);
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const page: { status: number; body: { items: Array<{ id: string }>; next: string | null } } = await getJson(`${api.url}/payments?limit=2${before ? `&before=${before}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((p) => p.id));
      before = page.body.next;
    } while (before !== null && !seen.includes(created[0]!.id as string));
    const ours = seen.filter((id) => created.some((p) => p.id === id));
    expect(ours).toEqual(created.map((p) => p.id).reverse());
  });

  it('answers bad input with 400 naming the field, 404 for an unknown payment', async () => {
    const cases: Array<[string, unknown, string | undefined, RegExp]> = [
      ['malformed JSON', '{"type":', undefined, /malformed JSON/],
      ['an array', '[]', undefined, /JSON object/],
      ['missing type', newPayment({ type: undefined }), 'type', /type is required/],
      ['unknown type', newPayment({ type: 'gift' }), 'type', /one of paywall, subscription, direct/],
      ['missing amount', newPayment({ amount: undefined }), 'amount', /amount is required/],
      ['amount not a number', newPayment({ amount: 'ten' }), 'amount', /positive integer/],
      ['amount a float', newPayment({ amount: 1.5 }), 'amount', /positive integer/],
      ['amount negative', newPayment({ amount: -3 }), 'amount', /positive integer/],
      ['amount zero', newPayment({ amount: '0' }), 'amount', /positive integer/],
      ['amount above uint256', newPayment({ amount: String(2n ** 256n) }), 'amount', /positive integer/],
      ['payer missing', newPayment({ payer: undefined }), 'payer', /payer is required/],
      ['payee not an address', newPayment({ payee: '0x123' }), 'payee', /20-byte hex address/],
      ['memo too long', newPayment({ memo: 'x'.repeat(257) }), 'memo', /at most 256/],
    ];
    for (const [name, body, field, reason] of cases) {
      const response = await postJson(`${api.url}/payments`, body);
      expect(response.status, name).toBe(400);
      expect(response.body.field, name).toBe(field);
      expect(response.body.error, name).toMatch(reason);
    }
    expect((await getJson(`${api.url}/payments?limit=0`)).body).toMatchObject({ field: 'limit' });
    expect((await getJson(`${api.url}/payments?limit=abc`)).status).toBe(400);
    expect((await getJson(`${api.url}/payments?before=x`)).body).toMatchObject({ field: 'before' });
    expect((await getJson(`${api.url}/payments/abc`)).body).toMatchObject({ field: 'id' });
    const missing = await getJson(`${api.url}/payments/999999999999`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/not found/);
    const big = await postJson(`${api.url}/payments`, newPayment({ memo: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
  });

  it('labels the metrics with route patterns', async () => {
    const s = await scrape(api.url);
    expect(valueOf(s, 'http_requests_total', { method: 'GET', route: '/payments/:id', status_code: '404' })).toBe(1);
    expect(valueOf(s, 'http_requests_total', { method: 'POST', route: '/payments', status_code: '201' })).toBe(5);
  });

  it('puts X-RateLimit-* on every answer of a rate-limited route, errors included (400, 404, 413), and answers unknown routes with JSON 404', async () => {
    const remaining = async (response: Response): Promise<number> => {
      await response.arrayBuffer();
      expect(response.headers.get('x-ratelimit-limit'), `${response.status} ${response.url}`).toBe('100000');
      expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      return Number(response.headers.get('x-ratelimit-remaining'));
    };
    const answers = [
      await fetch(`${api.url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":' }),
      await fetch(`${api.url}/payments/abc`),
      await fetch(`${api.url}/payments/999999999999`),
      await fetch(`${api.url}/payments/1/nothing-here`),
      await fetch(`${api.url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(newPayment({ memo: 'x'.repeat(70_000) })) }),
    ];
    expect(answers.map((r) => r.status)).toEqual([400, 400, 404, 404, 413]);
    const left: number[] = [];
    for (const answer of answers) left.push(await remaining(answer));
    // Each of them used up the quota, one request at a time.
    for (let i = 1; i < left.length; i++) expect(left[i]).toBe(left[i - 1]! - 1);

    for (const path of ['/nothing-here', '/payments/1/nothing-here', '/metrics/extra']) {
      const { status, body, headers } = await getJson(`${api.url}${path}`);
      expect(status, path).toBe(404);
      expect(headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(body, path).toEqual({ error: 'not found' });
    }
    expect((await getJson(`${api.url}/`)).body).toEqual({ service: 'api', version: '0.1.0' });
  });
});

describe('API rate limiting', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await redis.del(LIMIT_KEY, 'api:ratelimit:203.0.113.7', 'api:ratelimit:203.0.113.8');
    redis.disconnect();
  });

  it('lets exactly 200 of 300 requests in a minute through; a spoofed X-Forwarded-For does not escape the limit', async () => {
    await redis.del(LIMIT_KEY);
    const api = await startApi();
    try {
      const startedAt = Math.floor(Date.now() / 1000);
      const responses: Array<{ status: number; headers: Headers }> = [];
      let i = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (i < 300) {
            i += 1;
            const response = await fetch(`${api.url}/payments?limit=1`, { headers: { 'x-forwarded-for': `10.0.${i % 250}.${i % 7}` } });
            await response.arrayBuffer();
            responses.push({ status: response.status, headers: response.headers });
          }
        }),
      );
      const endedAt = Math.ceil(Date.now() / 1000);
      expect(responses.filter((r) => r.status === 200)).toHaveLength(200);
      const limited = responses.filter((r) => r.status === 429);
      expect(limited).toHaveLength(100);
      for (const r of responses) {
        expect(r.headers.get('x-ratelimit-limit')).toBe('200');
        const reset = Number(r.headers.get('x-ratelimit-reset'));
        expect(reset).toBeGreaterThan(startedAt);
        // The window opens at the first request, however long the 300 took to send.
        expect(reset).toBeLessThanOrEqual(endedAt + 61);
      }
      const remaining = responses.filter((r) => r.status === 200).map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((a, b) => a - b);
      expect(remaining).toEqual(Array.from({ length: 200 }, (_, k) => k));
      for (const r of limited) {
        expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      }
      expect(await redis.get(LIMIT_KEY)).toBe('300');
      expect(await redis.ttl(LIMIT_KEY)).toBeGreaterThan(0);
      expect(await redis.ttl(LIMIT_KEY)).toBeLessThanOrEqual(60);
      expect(await redis.keys('api:ratelimit:10.*')).toEqual([]);
      const s = await scrape(api.url);
      expect(valueOf(s, 'http_requests_total', { method: 'GET', route: '/payments', status_code: '429' })).toBe(100);
      // Health and metrics stay reachable for probes and scrapers.
      expect((await getJson(`${api.url}/health`)).status).toBe(200);
    } finally {
      await api.stop();
      await redis.del(LIMIT_KEY);
    }
  });

  it('believes X-Forwarded-For only with TRUST_PROXY, taking the address the trusted proxy appended', async () => {
    await redis.del('api:ratelimit:203.0.113.7', 'api:ratelimit:203.0.113.8');
    const api = await startApi({ TRUST_PROXY: 'true' });
    try {
      await fetch(`${api.url}/payments?limit=1`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      await fetch(`${api.url}/payments?limit=1`, { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.8' } });
      await fetch(`${api.url}/payments?limit=1`, { headers: { 'x-forwarded-for': 'not-an-ip' } });
      expect(await redis.get('api:ratelimit:203.0.113.7')).toBe('1');
      expect(await redis.get('api:ratelimit:203.0.113.8')).toBe('1');
      expect(await redis.get('api:ratelimit:198.51.100.1')).toBeNull();
      expect(await redis.get(LIMIT_KEY)).toBe('1');
    } finally {
      await api.stop();
      await redis.del(LIMIT_KEY);
    }
  });
});

describe('API when a dependency is down or hung', () => {
  let redisProxy: TcpProxy;
  let pgProxy: TcpProxy;
  let api: RunningApp;

  beforeAll(async () => {
    const redisUrl = new URL(TEST_REDIS_URL);
    const pgUrl = new URL(TEST_DATABASE_URL);
    redisProxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port));
    pgProxy = await startTcpProxy(pgUrl.hostname, Number(pgUrl.port));
    api = await startApi({ REDIS_URL: urlVia(TEST_REDIS_URL, redisProxy), DATABASE_URL: urlVia(TEST_DATABASE_URL, pgProxy), RATE_LIMIT_MAX: '100000', DEPENDENCY_TIMEOUT_MS: '500', HEALTH_CHECK_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await api?.stop();
    await redisProxy?.close();
    await pgProxy?.close();
  });

  for (const mode of ['down', 'hang'] as const) {
    it(`Redis ${mode}: requests are served unlimited (logged and counted), /health 503 within its timeout`, async () => {
      await redisProxy.setMode(mode);
      try {
        const served = await sendRequests(() => `${api.url}/payments?limit=1`, 20, 5);
        expect([...served]).toEqual([[200, 20]]);
        const started = Date.now();
        const health = await getJson(`${api.url}/health`);
        expect(Date.now() - started).toBeLessThan(1000);
        expect(health.status).toBe(503);
        expect(health.body).toMatchObject({ status: 'unhealthy', checks: { redis: { status: 'error' }, database: { status: 'ok' } } });
        await vi.waitFor(() => expect(api.jsonLines().some((l) => l.msg === 'rate limiting unavailable (Redis did not answer): serving requests unlimited' && Number(l.rateLimitFailOpenTotal) >= 1)).toBe(true));
      } finally {
        await redisProxy.setMode('forward');
      }
      await vi.waitFor(async () => expect((await getJson(`${api.url}/health`)).status).toBe(200), { timeout: 8000, interval: 200 });
    });
  }

  it('PostgreSQL down: 503 with a clear error, /health 503, the process stays up and recovers', async () => {
    expect((await getJson(`${api.url}/payments`)).status).toBe(200);
    await pgProxy.setMode('down');
    try {
      const list = await getJson(`${api.url}/payments`);
      expect(list.status).toBe(503);
      expect(list.body).toEqual({ error: 'database unavailable' });
      expect((await postJson(`${api.url}/payments`, newPayment())).status).toBe(503);
      const health = await getJson(`${api.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body.checks).toMatchObject({ database: { status: 'error' }, redis: { status: 'ok' } });
    } finally {
      await pgProxy.setMode('forward');
    }
    await vi.waitFor(async () => expect((await getJson(`${api.url}/payments`)).status).toBe(200), { timeout: 8000, interval: 200 });
    expect((await getJson(`${api.url}/health`)).status).toBe(200);
    expect(api.child.exitCode).toBeNull();
  });

  it('PostgreSQL hung: 503 within the query bound, never a hang', async () => {
    await pgProxy.setMode('hang');
    try {
      const started = Date.now();
      const [list, health] = await Promise.all([getJson(`${api.url}/payments`), getJson(`${api.url}/health`)]);
      expect(list.status).toBe(503);
      expect(health.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      await pgProxy.setMode('forward');
    }
    await vi.waitFor(async () => expect((await getJson(`${api.url}/payments`)).status).toBe(200), { timeout: 8000, interval: 200 });
  });
});
