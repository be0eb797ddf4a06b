import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findGoBinaries, requireBinary } from '../../scripts/go-binaries.js';
import { opsPath } from './helpers/paths.js';
import { run } from './helpers/run.js';

const CONFIG = opsPath('collector/config.yaml');
const DEBUG_OVERLAY = opsPath('collector/config.debug.yaml');
const LOGS_FILE_OVERLAY = opsPath('collector/config.logs-file.yaml');
const binaries = findGoBinaries();

/** The collector's config after its own parsing and env expansion, as JSON. */
interface ResolvedConfig {
  receivers: Record<string, { protocols: Record<string, { endpoint: string }> }>;
  processors: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string }>;
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

  it.each([[[CONFIG]], [[CONFIG, DEBUG_OVERLAY]], [[CONFIG, LOGS_FILE_OVERLAY]]])('validates %j', async (configs) => {
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
      traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp_grpc/jaeger'] },
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

  it('holds exactly the components its configs use', async () => {
    const used = await printConfig(collector, [CONFIG, DEBUG_OVERLAY, LOGS_FILE_OVERLAY]);
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
