/**
 * The operations kit's tools as this machine runs them without Docker, all on 127.0.0.1:
 * the Twinkle collector (OCB build) with otel-collector/collector/config.yaml, Jaeger v2
 * with otel-collector/jaeger/config.yaml, Debian's Prometheus with otel-collector/prometheus.yml
 * and its rules. `npm run up` and the full-stack test start them from these definitions.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OPS = join(ROOT, 'otel-collector');

/** Where each tool answers. */
export const STACK = {
  collectorOtlpHttp: 'http://127.0.0.1:4318',
  collectorOtlpGrpc: '127.0.0.1:4317',
  collectorMetrics: 'http://127.0.0.1:8888/metrics',
  jaeger: 'http://127.0.0.1:16686',
  prometheus: 'http://127.0.0.1:9090',
} as const;

/** Every port the stack binds (the services' 3000/3001 and Anvil's 8545 aside). */
export const STACK_PORTS = [4317, 4318, 8888, 4327, 4328, 16685, 16686, 8889, 9090] as const;

/** How to start one tool, and the request that answers 2xx once it is ready. */
export interface ComponentSpec {
  readonly name: string;
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly ready: { url: string; init?: RequestInit };
}

export function jaegerSpec(binary: string): ComponentSpec {
  return { name: 'jaeger', command: binary, args: ['--config', join(OPS, 'jaeger/config.yaml')], env: {}, ready: { url: `${STACK.jaeger}/api/services` } };
}

/** The collector's listen addresses and its exporter to Jaeger, as config.yaml reads them. */
export const COLLECTOR_ENV = {
  COLLECTOR_OTLP_GRPC_ENDPOINT: STACK.collectorOtlpGrpc,
  COLLECTOR_OTLP_HTTP_ENDPOINT: '127.0.0.1:4318',
  COLLECTOR_JAEGER_ENDPOINT: '127.0.0.1:4327',
};
export const COLLECTOR_CONFIG_ARGS = ['--config', join(OPS, 'collector/config.yaml')];

export function collectorSpec(binary: string): ComponentSpec {
  return {
    name: 'collector',
    command: binary,
    args: COLLECTOR_CONFIG_ARGS,
    env: COLLECTOR_ENV,
    // An empty OTLP/JSON export: 200 once the receiver is up.
    ready: { url: `${STACK.collectorOtlpHttp}/v1/traces`, init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } },
  };
}

export function prometheusSpec(dataDir: string): ComponentSpec {
  return {
    name: 'prometheus',
    command: 'prometheus',
    args: [`--config.file=${join(OPS, 'prometheus.yml')}`, `--storage.tsdb.path=${dataDir}`, '--web.listen-address=127.0.0.1:9090'],
    env: {},
    ready: { url: `${STACK.prometheus}/-/ready` },
  };
}
