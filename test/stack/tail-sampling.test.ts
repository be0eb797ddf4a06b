/**
 * The collector tier on the real collector: two first-tier collectors (load-balancing
 * exporter, static resolver; the API sends to one, the facilitator to the other) before
 * one sampling-tier collector (tail sampling) before Jaeger. Under load with failures and
 * settlements: every error and settlement trace is in Jaeger, whole, and healthy GETs are
 * kept at the configured share within a binomial tolerance. Then the sampling collector
 * stops mid-run: the services are not slowed, and once it is back traces arrive whole.
 * Run by `npm run test:stack`; runs under the stack lock (Jaeger's fixed ports).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../helpers/services.js';
import type { LocalAccount } from 'viem';
import { sendRequests } from '../helpers/load.js';
import { settleWithoutGas } from '../helpers/settle-without-gas.js';
import type { RunningApp } from '../helpers/spawn-app.js';
import { startTokenChain, type TokenChain } from '../helpers/token-chain.js';
import { postJson, startApi, startFacilitator } from '../helpers/twinkle-services.js';
import { findGoBinaries } from '../../scripts/go-binaries.js';
import { findTraces, serviceOf, tag, type JaegerTrace } from './jaeger-api.js';
import { orphans, tracesOf } from './jaeger-traces.js';
import { eventually, ready, startProcess, type StackProcess } from './processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OPS = join(ROOT, 'otel-collector');
const JAEGER = 'http://127.0.0.1:16686';
/** The configured share of the rest, as a probability. */
const SHARE = 0.1;
const HEALTHY_GETS = 1000;
const SAMPLING = { grpc: '127.0.0.1:14317', http: '127.0.0.1:14318' };
const FIRST_TIER = [
  { grpc: '127.0.0.1:24317', http: '127.0.0.1:24318' },
  { grpc: '127.0.0.1:34317', http: '127.0.0.1:34318' },
];
/** Three collectors on one host: none serves its own metrics on the default :8888. */
const NO_SELF_METRICS = '--set=service::telemetry::metrics::level=none';

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Forgets the API's rate-limit windows, so this file's traffic does not count against the next one's. */
async function clearRateLimits(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys('api:ratelimit:*');
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

describe('two first-tier collectors before one sampling-tier collector', () => {
  const binaries = findGoBinaries();
  const processes: StackProcess[] = [];
  let sampling: StackProcess;
  let chain: TokenChain;
  let api: RunningApp;
  let facilitator: RunningApp;
  let paymentId: string;

  const startSampling = async (): Promise<StackProcess> => {
    const p = startProcess('sampling collector', binaries.collector!, ['--config', join(OPS, 'collector/config.yaml'), NO_SELF_METRICS], {
      COLLECTOR_OTLP_GRPC_ENDPOINT: SAMPLING.grpc,
      COLLECTOR_OTLP_HTTP_ENDPOINT: SAMPLING.http,
      COLLECTOR_JAEGER_ENDPOINT: '127.0.0.1:4327',
      COLLECTOR_SAMPLING_PERCENTAGE: String(SHARE * 100),
      COLLECTOR_DECISION_WAIT: '8s',
    });
    await ready(p, `http://${SAMPLING.http}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return p;
  };

  beforeAll(async () => {
    await clearRateLimits();
    if (!binaries.collector || !binaries.jaeger) throw new Error('the collector and Jaeger are not built: run otel-collector/scripts/build-binaries.sh');
    const jaeger = startProcess('jaeger', binaries.jaeger, ['--config', join(OPS, 'jaeger/config.yaml')]);
    processes.push(jaeger);
    await ready(jaeger, `${JAEGER}/api/services`);
    sampling = await startSampling();
    for (const [i, tier] of FIRST_TIER.entries()) {
      const p = startProcess(`first-tier collector ${i}`, binaries.collector, ['--config', join(OPS, 'collector/config.first-tier.yaml'), NO_SELF_METRICS], {
        COLLECTOR_OTLP_GRPC_ENDPOINT: tier.grpc,
        COLLECTOR_OTLP_HTTP_ENDPOINT: tier.http,
        COLLECTOR_SAMPLING_TIER: `[${SAMPLING.grpc}]`,
      });
      processes.push(p);
      await ready(p, `http://${tier.http}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    }
    chain = await startTokenChain();
    // Each service sends to its own first-tier collector: a trace's spans meet only at the sampling tier.
    // No exemplars here, so the share of healthy traces is the probabilistic policy's alone.
    const common = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXEMPLAR_FILTER: 'always_off' };
    facilitator = await startFacilitator({
      ...common,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${FIRST_TIER[1]!.http}`,
      ...chain.facilitatorEnv,
      RPC_URL: chain.anvil.url,
      FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0],
    });
    api = await startApi({ ...common, OTEL_EXPORTER_OTLP_ENDPOINT: `http://${FIRST_TIER[0]!.http}`, FACILITATOR_URL: facilitator.url, RATE_LIMIT_MAX: '1000000' });
    const payer = chain.anvil.accounts[1]!;
    paymentId = (await postJson(`${api.url}/payments`, { type: 'paywall', amount: '1000', payer: payer.address, payee: chain.anvil.accounts[2]!.address })).body.id;
  }, 120_000);

  afterAll(async () => {
    await clearRateLimits();
    for (const p of [api, facilitator]) await p?.stop();
    await sampling?.stop();
    for (const p of processes.reverse()) await p.stop();
    await chain?.stop();
  }, 60_000);

  /** Settles a new payment through the API, paid by `payer`; returns the status. */
  const settle = async (payer: LocalAccount, requestId: string): Promise<number> => {
    const payee = chain.anvil.accounts[2]!.address;
    const payment = (await postJson(`${api.url}/payments`, { type: 'direct', amount: '1000', payer: payer.address, payee })).body;
    const settled = await postJson(`${api.url}/payments/${payment.id}/settle`, await chain.sign(payer, { to: payee, value: 1000n }), { 'x-request-id': requestId });
    return settled.status;
  };

  /** The trace of an API request id, once it is in Jaeger whole: both services, one root, the settlement span. */
  const wholeTrace = (requestId: string, timeoutMs = 60_000): Promise<JaegerTrace> =>
    eventually(`a whole trace for ${requestId}`, async () => {
      const [trace] = await findTraces(JAEGER, 'twinkle-api', { 'twinkle.request_id': requestId });
      if (trace === undefined) return undefined;
      const services = new Set(trace.spans.map((s) => serviceOf(trace, s)));
      const complete =
        services.size === 2 &&
        orphans(trace).length === 1 &&
        trace.spans.some((s) => s.operationName === 'POST /payments/:id/settle') &&
        trace.spans.some((s) => s.operationName === 'POST /settle') &&
        trace.spans.some((s) => s.operationName.startsWith('settlement '));
      if (!complete) throw new Error(`not whole yet: ${trace.spans.map((s) => `${serviceOf(trace, s)}:${s.operationName}`).join(', ')}`);
      return trace;
    }, timeoutMs, 2000);

  it('keeps every error and settlement trace whole, and healthy GETs at the configured share', async () => {
    const run = Date.now();
    const errors: string[] = [];
    const settlements: string[] = [];
    const healthy = sendRequests((i) => `${api.url}/payments/${paymentId}?i=${i}`, HEALTHY_GETS, 8, { headers: { 'x-request-id': `healthy-${run}` } });
    for (let i = 0; i < 6; i++) {
      const failed = `error-${run}-${i}`;
      expect((await settleWithoutGas(chain, api.url, { 'x-request-id': failed })).status).toBe(503);
      errors.push(failed);
      const ok = `settled-${run}-${i}`;
      expect(await settle(chain.anvil.accounts[1]!, ok)).toBe(200);
      settlements.push(ok);
    }
    const statuses = await healthy;
    expect(statuses.get(200)).toBe(HEALTHY_GETS);

    for (const id of [...errors, ...settlements]) {
      const trace = await wholeTrace(id);
      const server = trace.spans.find((s) => s.operationName === 'POST /payments/:id/settle')!;
      if (id.startsWith('error')) expect(tag(server, 'otel.status_code')).toBe('ERROR');
    }

    // Decisions on the healthy GETs are made by now (8 s after their first span); count what was kept.
    await new Promise((r) => setTimeout(r, 10_000));
    const kept = (await tracesOf(JAEGER, 'twinkle-api', 'GET /payments/:id')).filter((t) =>
      t.spans.some((s) => tag(s, 'twinkle.request_id') === `healthy-${run}`),
    );
    // A healthy GET slower than the latency threshold is kept by that policy: left out of both counts.
    const slow = kept.filter((t) => Math.max(...t.spans.map((s) => (s as unknown as { duration: number }).duration)) >= 500_000).length;
    const n = HEALTHY_GETS - slow;
    const k = kept.length - slow;
    // k ~ Binomial(n, 0.1): the probabilistic policy keeps each trace on a hash of its random
    // trace id. Mean 100, standard deviation sqrt(1000 x 0.1 x 0.9) = 9.5; 4.5 deviations
    // (+-43) leave a false failure about once in 150,000 runs, and still catch a share of
    // 5% or 15% (each more than 5 deviations away).
    const tolerance = 4.5 * Math.sqrt(n * SHARE * (1 - SHARE));
    expect(Math.abs(k - n * SHARE), `kept ${k} of ${n} healthy GETs`).toBeLessThanOrEqual(tolerance);
  }, 180_000);

  it('when the sampling collector stops mid-run: the services are not slowed, and once it is back traces arrive whole', async () => {
    const timed = async (count: number): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        const res = await fetch(`${api.url}/payments/${paymentId}`);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        times.push(performance.now() - start);
      }
      return times;
    };
    const before = median(await timed(100));
    await sampling.stop();
    const run = Date.now();
    const during: string[] = [];
    for (let i = 0; i < 3; i++) {
      during.push(`outage-${run}-${i}`);
      expect((await settleWithoutGas(chain, api.url, { 'x-request-id': during.at(-1)! })).status).toBe(503);
    }
    const whileDown = median(await timed(100));
    // Spans wait in the first tier's bounded queue: the services answer as fast as before.
    expect(whileDown, `median ${whileDown.toFixed(1)} ms while down, ${before.toFixed(1)} ms before`).toBeLessThanOrEqual(before * 2 + 20);
    await new Promise((r) => setTimeout(r, 5000));
    sampling = await startSampling();
    const after: string[] = [];
    for (let i = 0; i < 3; i++) {
      after.push(`back-${run}-${i}`);
      expect((await settleWithoutGas(chain, api.url, { 'x-request-id': after.at(-1)! })).status).toBe(503);
      after.push(`back-ok-${run}-${i}`);
      expect(await settle(chain.anvil.accounts[1]!, after.at(-1)!)).toBe(200);
    }
    for (const id of after) await wholeTrace(id, 90_000);
    // What the first tier queued during the outage was retried and arrived too.
    for (const id of during) await wholeTrace(id, 90_000);
  }, 300_000);
});
