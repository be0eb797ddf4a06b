import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findGoBinaries, requireBinary } from '../../scripts/go-binaries.js';
import { opsPath } from './helpers/paths.js';
import { run } from './helpers/run.js';

const CONFIG = opsPath('collector/config.yaml');
const DEBUG_OVERLAY = opsPath('collector/config.debug.yaml');
const FIRST_TIER = opsPath('collector/config.first-tier.yaml');
const FIRST_TIER_DNS = opsPath('collector/config.first-tier.dns.yaml');
const LOGS_FILE_OVERLAY = opsPath('collector/config.logs-file.yaml');
const binaries = findGoBinaries();

/** The collector's config after its own parsing and env expansion, as JSON. */
interface ResolvedConfig {
  receivers: Record<string, { protocols: Record<string, { endpoint: string }> }>;
  processors: Record<string, Record<string, unknown>>;
  exporters: Record<string, { endpoint?: string } & Record<string, unknown>>;
  service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
}

async function printConfig(binary: string, configs: string[], env: NodeJS.ProcessEnv = {}): Promise<ResolvedConfig> {
  const args = ['print-config', '--format=json', ...configs.flatMap((c) => ['--config', c])];
  const result = await run(binary, args, { env: { PATH: process.env.PATH, ...env } });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ResolvedConfig;
}

/** Component types (the part of an id before `/`) of one kind. */
function types(components: Record<string, unknown>): string[] {
  return [...new Set(Object.keys(components).map((id) => id.split('/')[0]))].sort();
}

/** Every value of a key in `keys` anywhere in a resolved config, sorted. */
function addresses(value: unknown, keys = ['endpoint']): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value)
    .flatMap(([key, v]) => (keys.includes(key) && typeof v === 'string' ? [v] : addresses(v, keys)))
    .sort();
}

describe('collector/builder-config.yaml', () => {
  const manifest = readFileSync(opsPath('collector/builder-config.yaml'), 'utf8');
  const modules = [...manifest.matchAll(/gomod:\s*(go\.opentelemetry\.io\/collector\/\S+)\s+(v\S+)/g)].map((m) => ({ path: m[1], version: m[2] }));

  it('takes every component from one collector release, the one the build script and Dockerfile build with', () => {
    const script = readFileSync(opsPath('scripts/build-binaries.sh'), 'utf8');
    const dockerfile = readFileSync(opsPath('collector/Dockerfile'), 'utf8');
    const ocb = /^OCB_VERSION=(v\S+)$/m.exec(script)?.[1];
    expect(ocb).toMatch(/^v0\.\d+\.\d+$/);
    expect(dockerfile).toContain(`go.opentelemetry.io/collector/cmd/builder@${ocb}`);
    expect(modules.length).toBeGreaterThanOrEqual(8);
    expect(new Set(modules.filter((m) => m.version.startsWith('v0.')).map((m) => m.version))).toEqual(new Set([ocb]));
    expect(new Set(modules.filter((m) => m.version.startsWith('v1.')).map((m) => m.version)).size).toBe(1);
  });
});

describe('the built Twinkle collector (otel-collector/scripts/build-binaries.sh)', () => {
  // npm test builds the binaries first; run by hand, a missing one fails here, naming the command.
  const collector = requireBinary(binaries.collector, 'the Twinkle collector');
  const scratch = mkdtempSync(join(tmpdir(), 'twinkle-collector-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each([[[CONFIG]], [[CONFIG, DEBUG_OVERLAY]], [[CONFIG, LOGS_FILE_OVERLAY]], [[FIRST_TIER]], [[FIRST_TIER_DNS]]])('validates %j', async (configs) => {
    const result = await run(collector, ['validate', ...configs.flatMap((c) => ['--config', c])]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('refuses a pipeline that names an exporter it does not have', async () => {
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(broken, 'service:\n  pipelines:\n    traces:\n      exporters: [otlp_grpc/jaeger, zipkin]\n');
    const result = await run(collector, ['validate', '--config', CONFIG, '--config', broken]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('zipkin');
  });

  it('sends traces to Jaeger and logs to Loki only, unless an overlay is given', async () => {
    const plain = await printConfig(collector, [CONFIG]);
    expect(plain.service.pipelines).toEqual({
      traces: { receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'batch'], exporters: ['otlp_grpc/jaeger'] },
      logs: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp_http/loki'] },
    });
    expect(plain.exporters['otlp_grpc/jaeger']?.endpoint).toBe('jaeger:4317');
    expect(plain.exporters['otlp_http/loki']?.endpoint).toBe('http://loki:3100/otlp');
    const debug = await printConfig(collector, [CONFIG, DEBUG_OVERLAY]);
    expect(debug.service.pipelines.traces?.exporters).toEqual(['otlp_grpc/jaeger', 'debug']);
    expect(debug.service.pipelines.logs?.exporters).toEqual(['otlp_http/loki', 'debug']);
    const file = await printConfig(collector, [CONFIG, LOGS_FILE_OVERLAY], { COLLECTOR_LOGS_FILE: '/tmp/x.jsonl' });
    expect(file.service.pipelines.logs?.exporters).toEqual(['file/logs']);
    expect(file.service.pipelines.traces?.exporters).toEqual(['otlp_grpc/jaeger']);
    expect((file.exporters['file/logs'] as { path?: string }).path).toBe('/tmp/x.jsonl');
  });

  it('listens where the environment says, on 0.0.0.0:4317/4318 by default', async () => {
    expect(addresses((await printConfig(collector, [CONFIG])).receivers)).toEqual(['0.0.0.0:4317', '0.0.0.0:4318']);
    const loopback = await printConfig(collector, [CONFIG], {
      COLLECTOR_OTLP_GRPC_ENDPOINT: '127.0.0.1:4317',
      COLLECTOR_OTLP_HTTP_ENDPOINT: '127.0.0.1:4318',
      COLLECTOR_JAEGER_ENDPOINT: '127.0.0.1:4327',
    });
    expect(addresses(loopback.receivers)).toEqual(['127.0.0.1:4317', '127.0.0.1:4318']);
    expect(loopback.exporters['otlp_grpc/jaeger']?.endpoint).toBe('127.0.0.1:4327');
  });

  it('keeps errors, slow traces, settlements, exemplar spans and a share of the rest, each threshold from the environment', async () => {
    // print-config loses the policies' names, so they are read from the file, and the
    // environment's part is proven by the collector refusing a bad value for each.
    const { parse } = await import('yaml');
    const file = parse(readFileSync(CONFIG, 'utf8')) as { processors: { tail_sampling: { decision_wait: string; policies: Array<Record<string, unknown>> } } };
    const tail = file.processors.tail_sampling;
    expect(tail.decision_wait).toBe('${env:COLLECTOR_DECISION_WAIT:-30s}');
    const byName = Object.fromEntries(tail.policies.map((p) => [p.name, p]));
    expect(Object.keys(byName)).toEqual(['errors', 'slow', 'settlements', 'exemplars', 'share-of-the-rest']);
    expect(byName.errors).toMatchObject({ type: 'status_code', status_code: { status_codes: ['ERROR'] } });
    expect(byName.slow).toMatchObject({ type: 'latency', latency: { threshold_ms: '${env:COLLECTOR_SLOW_TRACE_MS:-500}' } });
    expect(byName.settlements).toMatchObject({ type: 'ottl_condition', ottl_condition: { span: ['attributes["twinkle.settlement.type"] != nil'] } });
    expect(byName.exemplars).toMatchObject({ type: 'boolean_attribute', boolean_attribute: { key: 'twinkle.exemplar', value: true } });
    expect(byName['share-of-the-rest']).toMatchObject({ type: 'probabilistic', probabilistic: { sampling_percentage: '${env:COLLECTOR_SAMPLING_PERCENTAGE:-10}' } });
    const validate = (env: NodeJS.ProcessEnv) => run(collector, ['validate', '--config', CONFIG], { env: { PATH: process.env.PATH, ...env } });
    expect((await validate({ COLLECTOR_SLOW_TRACE_MS: '250', COLLECTOR_SAMPLING_PERCENTAGE: '2.5', COLLECTOR_DECISION_WAIT: '5s' })).code).toBe(0);
    for (const bad of [{ COLLECTOR_SLOW_TRACE_MS: 'soon' }, { COLLECTOR_SAMPLING_PERCENTAGE: 'some' }, { COLLECTOR_DECISION_WAIT: 'later' }]) {
      const result = await validate(bad);
      expect(result.code, JSON.stringify(bad)).not.toBe(0);
    }
  });

  it('routes the first tier by trace id through a bounded, retried queue; the DNS variant differs only in its resolver', async () => {
    const staticTier = await printConfig(collector, [FIRST_TIER], { COLLECTOR_SAMPLING_TIER: '[10.0.0.1:4317,10.0.0.2:4317]' });
    const lb = staticTier.exporters.load_balancing as {
      routing_key: string;
      protocol: { otlp: { sending_queue: { queue_size: number; block_on_overflow: boolean }; retry_on_failure: { enabled: boolean } } };
      resolver: Record<string, unknown>;
    };
    expect(lb.routing_key).toBe('traceID');
    expect(lb.protocol.otlp.sending_queue).toMatchObject({ queue_size: 5000, block_on_overflow: false });
    expect(lb.protocol.otlp.retry_on_failure.enabled).toBe(true);
    expect(lb.resolver.static).toEqual({ hostnames: ['10.0.0.1:4317', '10.0.0.2:4317'] });
    expect(staticTier.service.pipelines).toEqual({
      traces: { receivers: ['otlp'], processors: ['memory_limiter'], exporters: ['load_balancing'] },
      // Logs need no trace-wide decision: from the first tier straight to Loki.
      logs: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp_http/loki'] },
    });
    expect(staticTier.exporters['otlp_http/loki']?.endpoint).toBe('http://loki:3100/otlp');
    const dnsTier = await printConfig(collector, [FIRST_TIER_DNS]);
    const dnsLb = dnsTier.exporters.load_balancing as typeof lb;
    expect(dnsLb.resolver.dns).toMatchObject({ hostname: 'otel-collector-sampling', port: '4317' });
    const withoutResolver = (c: ResolvedConfig) => JSON.stringify({ ...c, exporters: { ...c.exporters, load_balancing: { ...(c.exporters.load_balancing as object), resolver: null } } });
    expect(withoutResolver(dnsTier)).toBe(withoutResolver(await printConfig(collector, [FIRST_TIER])));
  });

  it('holds exactly the components its configs use', async () => {
    const merged = await Promise.all([printConfig(collector, [CONFIG, DEBUG_OVERLAY, LOGS_FILE_OVERLAY]), printConfig(collector, [FIRST_TIER])]);
    const used = {
      receivers: Object.assign({}, ...merged.map((c) => c.receivers)),
      processors: Object.assign({}, ...merged.map((c) => c.processors)),
      exporters: Object.assign({}, ...merged.map((c) => c.exporters)),
    };
    const listed = (await run(collector, ['components'])).stdout;
    const built = (kind: string): string[] => {
      const section = listed.split(/^(?=\w+:)/m).find((s) => s.startsWith(`${kind}:`)) ?? '';
      return [...section.matchAll(/^\s+- name: (\S+)/gm)].map((m) => m[1]).sort();
    };
    expect(built('receivers')).toEqual(types(used.receivers));
    expect(built('processors')).toEqual(types(used.processors));
    expect(built('exporters')).toEqual(types(used.exporters));
    expect(built('extensions')).toEqual([]);
  });
});

describe('jaeger/config.yaml with the built Jaeger', () => {
  const jaeger = requireBinary(binaries.jaeger, 'Jaeger');
  const config = opsPath('jaeger/config.yaml');

  it('validates', async () => {
    const result = await run(jaeger, ['validate', '--config', config]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('listens on loopback only, with OTLP on 4327/4328, clear of the collector', async () => {
    const result = await run(jaeger, ['print-config', '--format=json', '--config', config]);
    expect(result.code, result.stderr).toBe(0);
    const resolved = JSON.parse(result.stdout) as { receivers: unknown; extensions: unknown };
    expect(addresses(resolved.receivers)).toEqual(['127.0.0.1:4327', '127.0.0.1:4328']);
    expect(addresses(resolved.extensions)).toEqual(['127.0.0.1:16685', '127.0.0.1:16686']);
    for (const address of addresses(resolved, ['endpoint', 'host'])) expect(address).toMatch(/^127\.0\.0\.1(:\d+)?$/);
  });
});
