/**
 * The operations kit against the real tools: the Twinkle collector (built by OCB) with our
 * config, Jaeger v2, Debian's Prometheus with our prometheus.yml and rules, and both
 * services under the agent on :3000 and :3001 (the ports prometheus.yml scrapes), on a
 * real Anvil chain, Redis and PostgreSQL. Everything binds 127.0.0.1.
 * Run by `npm run test:stack` after otel-collector/scripts/build-binaries.sh.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { decodeFunctionData } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EIP3009_ABI } from '../../services/facilitator/dist/eip3009-abi.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import { settleWithoutGas } from '../helpers/settle-without-gas.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';
import { startTokenChain, type TokenChain } from '../helpers/token-chain.js';
import { postJson, startApi, startFacilitator } from '../helpers/twinkle-services.js';
import { dashboardExprs, type DashboardJson } from '../ops/helpers/dashboard-exprs.js';
import { findGoBinaries } from '../../scripts/go-binaries.js';
import { run } from '../ops/helpers/run.js';
import { collectorSpec, COLLECTOR_CONFIG_ARGS, COLLECTOR_ENV, jaegerSpec, OPS, prometheusSpec, ROOT, STACK, type ComponentSpec } from '../../scripts/stack-components.js';
import { dbSystem, findTraces, parentOf, serviceOf, tag, type JaegerTrace } from './jaeger-api.js';
import { activeTargets, instantQuery, loadedRules } from './prometheus-api.js';
import { eventually, ready, startProcess, type StackProcess } from './processes.js';

const JAEGER = STACK.jaeger;
const PROMETHEUS = STACK.prometheus;
const TRACES = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: STACK.collectorOtlpHttp };

/** Starts a tool of the kit as `npm run up` does, and waits until it answers. */
async function startComponent(spec: ComponentSpec): Promise<StackProcess> {
  const started = startProcess(spec.name, spec.command, spec.args, spec.env);
  await ready(started, spec.ready.url, spec.ready.init);
  return started;
}
const BURST_CLIENT = '198.51.100.9';

describe('the full stack: collector, Jaeger, Prometheus and both services', () => {
  const binaries = findGoBinaries();
  let jaeger: StackProcess;
  let collector: StackProcess;
  let prometheus: StackProcess;
  let load: StackProcess;
  let chain: TokenChain;
  let facilitator: RunningApp;
  let api: RunningApp;
  let prometheusData: string;
  let validate: { code: number; stdout: string; stderr: string };

  const startCollector = (): Promise<StackProcess> => startComponent(collectorSpec(binaries.collector!));

  beforeAll(async () => {
    if (!binaries.collector || !binaries.jaeger) throw new Error('the collector and Jaeger are not built: run otel-collector/scripts/build-binaries.sh');
    const redis = new Redis(TEST_REDIS_URL);
    const stale = [...(await redis.keys('facilitator:*')), ...(await redis.keys('api:ratelimit:*'))];
    if (stale.length > 0) await redis.del(...stale);
    redis.disconnect();

    jaeger = await startComponent(jaegerSpec(binaries.jaeger));
    validate = await run(binaries.collector, ['validate', ...COLLECTOR_CONFIG_ARGS], { env: { ...process.env, ...COLLECTOR_ENV } });
    collector = await startCollector();
    chain = await startTokenChain();
    facilitator = await startFacilitator({ ...TRACES, ...chain.facilitatorEnv, PORT: '3001', RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0] });
    // TRUST_PROXY lets the rate-limit burst below come from its own client address.
    api = await startApi({ ...TRACES, PORT: '3000', FACILITATOR_URL: facilitator.url, TRUST_PROXY: '1' });
    prometheusData = mkdtempSync(join(tmpdir(), 'twinkle-prometheus-'));
    prometheus = await startComponent(prometheusSpec(prometheusData));
    // Settlements that fail on the facilitator's side (its wallet ran out of gas money): the
    // 5xx the error-rate panel and the HighErrorRate rule divide by. Before the load starts,
    // whose settlements would fail too while the wallet is empty.
    for (let i = 0; i < 3; i++) {
      const failed = await settleWithoutGas(chain, api.url);
      expect(failed.status, JSON.stringify(failed.body)).toBe(503);
    }
    load = startProcess('load', process.execPath, [join(ROOT, 'scripts/load.ts')], { LOAD_SECONDS: '40', API_URL: api.url, FACILITATOR_URL: facilitator.url });
    // Over the API's 200 a minute from one client: the 429s the HighRateLimitHits rule counts.
    for (let i = 0; i < 230; i++) await (await fetch(`${api.url}/payments?limit=1`, { headers: { 'x-forwarded-for': BURST_CLIENT } })).arrayBuffer();
  }, 120_000);

  afterAll(async () => {
    for (const p of [load, api, facilitator, prometheus, collector, jaeger]) await p?.stop();
    await chain?.stop();
    if (prometheusData) rmSync(prometheusData, { recursive: true, force: true });
  }, 60_000);

  it('the collector validates our config before it runs', () => {
    expect(validate.code, validate.stderr).toBe(0);
  });

  /** Settles a new payment of 0.031337 tUSD through the API with our own request id; returns its transaction hash. */
  const settleThroughApi = async (requestId: string): Promise<`0x${string}`> => {
    const payer = chain.anvil.accounts[1]!;
    const payee = chain.anvil.accounts[2]!.address;
    const payment = (await postJson(`${api.url}/payments`, { type: 'paywall', amount: '31337', payer: payer.address, payee })).body;
    const settled = await postJson(`${api.url}/payments/${payment.id}/settle`, await chain.sign(payer, { to: payee, value: 31337n }), { 'x-request-id': requestId });
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.headers.get('x-request-id')).toBe(requestId);
    return settled.body.txHash;
  };

  const traceByRequestId = (requestId: string): Promise<JaegerTrace> =>
    eventually(`a trace in Jaeger with twinkle.request_id=${requestId}`, async () => {
      const traces = await findTraces(JAEGER, 'twinkle-api', { 'twinkle.request_id': requestId });
      // Both services' spans: the facilitator's batch may land a moment after the API's.
      const trace = traces[0];
      return trace && new Set(trace.spans.map((s) => serviceOf(trace, s))).size === 2 && trace.spans.some((s) => tag(s, 'rpc.method') === 'eth_sendRawTransaction') ? trace : undefined;
    }, 20_000);

  it('finds a settlement in Jaeger by the request id of its response: server, PostgreSQL, Redis and JSON-RPC spans, one trace across both services', async () => {
    const requestId = `stack-${Date.now()}`;
    const txHash = await settleThroughApi(requestId);
    // The transaction the trace's eth_sendRawTransaction sent is the token call, from the facilitator.
    const tx = await chain.client.getTransaction({ hash: txHash });
    expect(tx.to!.toLowerCase()).toBe(chain.token.address.toLowerCase());
    expect(tx.from.toLowerCase()).toBe(chain.anvil.accounts[0]!.address.toLowerCase());
    expect(decodeFunctionData({ abi: EIP3009_ABI, data: tx.input }).functionName).toBe('transferWithAuthorization');
    const trace = await traceByRequestId(requestId);
    const spans = trace.spans;
    const apiServer = spans.find((s) => s.operationName === 'POST /payments/:id/settle')!;
    expect(apiServer, spans.map((s) => s.operationName).join(', ')).toBeDefined();
    expect(serviceOf(trace, apiServer)).toBe('twinkle-api');
    expect(tag(apiServer, 'http.route')).toBe('/payments/:id/settle');
    expect(spans.filter((s) => serviceOf(trace, s) === 'twinkle-api' && dbSystem(s) === 'postgresql').length).toBeGreaterThanOrEqual(2);
    expect(spans.some((s) => serviceOf(trace, s) === 'twinkle-api' && dbSystem(s) === 'redis')).toBe(true);
    const facilitatorServer = spans.find((s) => s.operationName === 'POST /settle')!;
    expect(serviceOf(trace, facilitatorServer)).toBe('twinkle-facilitator');
    // Linked: the facilitator's server span is a child of the API's outgoing call.
    const caller = spans.find((s) => s.spanID === parentOf(facilitatorServer))!;
    expect(serviceOf(trace, caller)).toBe('twinkle-api');
    expect(parentOf(caller)).toBe(apiServer.spanID);
    const rpcMethods = spans.filter((s) => serviceOf(trace, s) === 'twinkle-facilitator' && tag(s, 'rpc.system') === 'jsonrpc').map((s) => tag(s, 'rpc.method'));
    // authorizationState on the pending state (eth_call) and the simulation (eth_estimateGas) before the send.
    expect(rpcMethods).toEqual(expect.arrayContaining(['eth_call', 'eth_estimateGas', 'eth_gasPrice', 'eth_getTransactionCount', 'eth_sendRawTransaction', 'eth_getTransactionReceipt']));
    const settlementSpan = spans.find((s) => s.operationName === 'settlement paywall')!;
    const send = spans.find((s) => serviceOf(trace, s) === 'twinkle-facilitator' && tag(s, 'rpc.method') === 'eth_sendRawTransaction')!;
    expect(parentOf(send)).toBe(settlementSpan.spanID);
    expect(spans.some((s) => serviceOf(trace, s) === 'twinkle-facilitator' && dbSystem(s) === 'redis')).toBe(true);
    expect(spans.some((s) => s.operationName === 'settlement paywall' && tag(s, 'twinkle.settlement.status') === 'success')).toBe(true);
  });

  it('the collector accepts spans at the limits as the agent encodes them, and Jaeger shows them whole', async () => {
    const accepted = async (): Promise<{ accepted: number; refused: number }> => {
      const text = await (await fetch('http://127.0.0.1:8888/metrics')).text();
      const sum = (name: string) =>
        [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*transport="http"[^}]*\\})? ([\\d.e+]+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
      return { accepted: sum('otelcol_receiver_accepted_spans(?:_total)?'), refused: sum('otelcol_receiver_refused_spans(?:_total)?') };
    };
    const before = await accepted();
    const app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { ...TRACES, OTEL_SERVICE_NAME: 'twinkle-limits' } });
    try {
      const requestId = `limits-${Date.now()}`;
      expect((await fetch(`${app.url}/limits`, { headers: { 'x-request-id': requestId } })).status).toBe(200);
      expect((await fetch(`${app.url}/limits?numbers=1`)).status).toBe(200);
      // Two requests, two spans each: every one taken, none refused.
      await eventually('the collector took the four spans', async () => {
        const now = await accepted();
        return now.accepted - before.accepted >= 4 ? now : undefined;
      }, 20_000);
      expect((await accepted()).refused).toBe(before.refused);
      // OpenTelemetry says once that it dropped the attributes past the limit; nothing about exports.
      expect(app.logLines().filter((l) => Number(l.level) >= 40).map((l) => l.msg)).toEqual(['opentelemetry: Dropping extra attributes.']);
      const trace = await eventually('the limits trace in Jaeger', async () => (await findTraces(JAEGER, 'twinkle-limits', { 'twinkle.request_id': requestId }))[0], 20_000);
      const server = trace.spans.find((s) => s.operationName === 'GET /limits')!;
      const child = trace.spans.find((s) => s.operationName === '')!;
      expect(child, trace.spans.map((s) => s.operationName).join(', ')).toBeDefined();
      expect(parentOf(child)).toBe(server.spanID);
      expect((tag(server, 'limits.big') as string).length).toBe(64 * 1024);
      expect(tag(server, 'limits.lone')).toBe('before\ufffdafter');
      expect(child.tags.filter((t) => t.key.startsWith('limits.attr.'))).toHaveLength(124);
      expect(tag(child, 'limits.attr.000')).toBe(0);
      expect(tag(child, 'limits.lone')).toBe('before\ufffdafter');
    } finally {
      await app.stop();
    }
  });

  it('keeps serving while the collector is down, and new traces arrive once it is back', async () => {
    await collector.stop();
    const down = `stack-down-${Date.now()}`;
    await settleThroughApi(down);
    for (let i = 0; i < 20; i++) expect((await fetch(`${api.url}/payments?limit=1`)).status).toBe(200);
    collector = await startCollector();
    const back = `stack-back-${Date.now()}`;
    await settleThroughApi(back);
    const trace = await traceByRequestId(back);
    expect(trace.spans.some((s) => s.operationName === 'POST /settle')).toBe(true);
  });

  it('Prometheus scrapes both services with our prometheus.yml: both targets up', async () => {
    const targets = await eventually('both targets up', async () => {
      const active = await activeTargets(PROMETHEUS);
      return active.filter((t) => t.health === 'up').length === 2 ? active : undefined;
    }, 40_000);
    expect(targets.map((t) => t.labels.job).sort()).toEqual(['twinkle-api', 'twinkle-facilitator']);
  });

  it('every dashboard query parses and returns data from the live Prometheus', async () => {
    const queries = ['twinkle-api.json', 'twinkle-facilitator.json'].flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(OPS, 'grafana/dashboards', file), 'utf8')) as DashboardJson;
      const job = String(dashboard.templating.list.find((v) => v.name === 'job')?.current?.value);
      return dashboardExprs(dashboard).map(({ panel, expr }) => ({ where: `${dashboard.title} / ${panel}`, expr: expr.replaceAll('$job', job) }));
    });
    expect(queries.length).toBeGreaterThanOrEqual(14);
    await eventually('every dashboard query returns data', async () => {
      const empty = [];
      for (const { where, expr } of queries) if ((await instantQuery(PROMETHEUS, expr)).length === 0) empty.push(where);
      if (empty.length > 0) throw new Error(`no data yet for: ${empty.join('; ')}`);
      return true;
    }, 90_000, 3000);
  }, 120_000);

  it('every alert rule is loaded, evaluates without error, and its expression returns data', async () => {
    const rules = await eventually('the rules evaluated', async () => {
      const loaded = await loadedRules(PROMETHEUS);
      return loaded.length > 0 && loaded.every((r) => r.health === 'ok') ? loaded : undefined;
    }, 40_000);
    expect(rules.map((r) => r.name).sort()).toEqual(['HighErrorRate', 'HighLatency', 'HighRateLimitHits', 'ServiceDown', 'SettlementFailures']);
    await eventually('every alert expression (before its threshold) returns data', async () => {
      const empty = [];
      for (const rule of rules) {
        const measured = rule.query.replace(/\s*(==|!=|>=|<=|>|<)\s*[\d.e+-]+\s*$/, '');
        expect(measured).not.toBe(rule.query);
        if ((await instantQuery(PROMETHEUS, measured)).length === 0) empty.push(`${rule.name}: ${measured}`);
      }
      if (empty.length > 0) throw new Error(`no data yet for: ${empty.join('; ')}`);
      return true;
    }, 60_000, 3000);
    // The traffic of this test fired none of the rules that need 5 minutes.
    const up = await instantQuery(PROMETHEUS, 'up{job=~"twinkle.*"} == 0');
    expect(up).toEqual([]);
  }, 120_000);
});
