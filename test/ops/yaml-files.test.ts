import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getContractAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import * as yaml from 'yaml';
import { OPS_DIR, opsPath } from './helpers/paths.js';



function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

/** The documents of a YAML file; `<<` merge keys are merged, as docker compose does. */
function parseDocuments(path: string): { errors: { message: string }[]; toJS(): unknown }[] {
  return yaml.parseAllDocuments(readFileSync(path, 'utf8'), { merge: true });
}

function parse(path: string): unknown[] {
  return parseDocuments(path).map((doc) => doc.toJS());
}

interface ComposeService {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  networks?: { default?: { aliases?: string[] } };
  depends_on?: Record<string, unknown>;
}

interface Probe {
  httpGet: { path: string; port: number };
  initialDelaySeconds: number;
  periodSeconds: number;
}

interface K8sDocument {
  kind: string;
  metadata: { name: string };
  spec: {
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { ports: { containerPort: number }[]; livenessProbe: Probe; readinessProbe: Probe }[] };
    };
  };
}

describe('the YAML files of otel-collector/', () => {
  it.each(yamlFiles(OPS_DIR).map((path) => relative(OPS_DIR, path)))('%s parses', (file) => {
    const errors = parseDocuments(opsPath(file)).flatMap((doc) => doc.errors.map((e) => e.message));
    expect(errors).toEqual([]);
  });

  describe('docker-compose.yml', () => {
    const [compose] = parse(opsPath('docker-compose.yml')) as [{ services: Record<string, ComposeService> }];
    const services = compose?.services ?? {};

    it('runs the whole stack', () => {
      expect(Object.keys(services).sort()).toEqual(
        ['anvil', 'api', 'collector', 'facilitator', 'grafana', 'jaeger', 'loki', 'npm-build', 'postgres', 'prometheus', 'redis', 'sampling-collector', 'token'].sort(),
      );
    });

    it('puts the first collector tier before the sampling tier (static resolver), and Prometheus with exemplar storage', () => {
      expect(services.collector?.command).toEqual(['--config', '/etc/otelcol-twinkle/config.first-tier.yaml']);
      expect(services.collector?.environment?.COLLECTOR_SAMPLING_TIER).toBe('[sampling-collector:4317]');
      expect(services['sampling-collector']?.command).toBeUndefined(); // the image's config.yaml
      expect(services['sampling-collector']?.environment?.COLLECTOR_JAEGER_ENDPOINT).toBe('jaeger:4317');
      expect(services.prometheus?.command).toContain('--enable-feature=exemplar-storage');
    });

    it('deploys the token before the facilitator starts, where the facilitator looks for it', () => {
      const token = services.token;
      expect(token?.command).toBe('node scripts/deploy-token.ts');
      expect(token?.environment?.RPC_URL).toBe(services.facilitator?.environment?.RPC_URL);
      const deployer = privateKeyToAccount(token?.environment?.DEPLOYER_PRIVATE_KEY as `0x${string}`).address;
      expect(services.facilitator?.environment?.TOKEN_ADDRESS).toBe(getContractAddress({ from: deployer, nonce: 0n }));
      expect(services.facilitator?.depends_on?.token).toEqual({ condition: 'service_completed_successfully' });
    });

    it("publishes Jaeger's UI and OTLP/HTTP ports as the contract does", () => {
      expect(services.jaeger?.ports).toEqual(['16686:16686', '4318:4318']);
    });

    it.each([
      ['api', 'twinkle-api', '@twinkle/api', '3000'],
      ['facilitator', 'twinkle-facilitator', '@twinkle/facilitator', '3001'],
    ])('starts %s under the agent, sending OTLP to the collector', (service, name, workspace, port) => {
      const s = services[service];
      expect(s?.command).toBe(`npm start -w ${workspace}`);
      expect(s?.environment).toMatchObject({
        OTEL_SERVICE_NAME: name,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_LOGS_EXPORTER: 'otlp',
        HOST: '0.0.0.0',
        PORT: port,
      });
      expect(s?.ports).toEqual([`${port}:${port}`]);
      expect(s?.volumes).toContain('..:/app');
    });

    it("sends the collector's logs pipeline to Loki's OTLP endpoint", () => {
      expect(services.collector?.environment?.COLLECTOR_LOKI_OTLP_ENDPOINT).toBe('http://loki:3100/otlp');
      expect(services.loki?.image).toMatch(/^grafana\/loki:3\./);
    });

    it("reaches the collector as collector and as the contract's otel-collector", () => {
      expect(services.collector?.networks?.default?.aliases).toEqual(['otel-collector']);
    });

    it('mounts files that exist', () => {
      const sources = Object.values(services)
        .flatMap((s) => s.volumes ?? [])
        .map((volume) => volume.split(':')[0])
        .filter((source) => source.startsWith('.'));
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) expect(existsSync(opsPath(source)), source).toBe(true);
    });

    it("loads Grafana's dashboards from where the provisioning file looks", () => {
      const [provisioning] = parse(opsPath('grafana/provisioning/dashboards/dashboards.yml')) as [{ providers: { options: { path: string } }[] }];
      expect(services.grafana?.volumes).toContain(`./grafana/dashboards:${provisioning?.providers[0]?.options.path}:ro`);
    });
  });

  it('provisions Prometheus (the default), Jaeger and Loki as Grafana data sources', () => {
    const [provisioning] = parse(opsPath('grafana/provisioning/datasources/datasources.yml')) as [
      { datasources: { type: string; url: string; isDefault?: boolean }[] },
    ];
    expect(provisioning?.datasources.map((d) => [d.type, d.url, d.isDefault ?? false])).toEqual([
      ['prometheus', 'http://prometheus:9090', true],
      ['jaeger', 'http://jaeger:16686', false],
      ['loki', 'http://loki:3100', false],
    ]);
    // An exemplar's trace_id opens the trace in the Jaeger data source.
    const [full] = parse(opsPath('grafana/provisioning/datasources/datasources.yml')) as [
      { datasources: { type: string; uid: string; jsonData?: { exemplarTraceIdDestinations?: unknown } }[] },
    ];
    const jaeger = full!.datasources.find((d) => d.type === 'jaeger')!;
    expect(full!.datasources.find((d) => d.type === 'prometheus')?.jsonData?.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: jaeger.uid }]);
  });

  it("keeps the contract's promtail scrape job", () => {
    const [promtail] = parse(opsPath('promtail/promtail-config.yml')) as [
      { scrape_configs: { job_name: string; static_configs: { labels: Record<string, string> }[]; pipeline_stages: Record<string, unknown>[] }[] },
    ];
    const job = promtail?.scrape_configs.find((c) => c.job_name === 'twinkle');
    expect(job?.static_configs[0]?.labels).toEqual({ job: 'twinkle', __path__: '/var/log/twinkle/*.log' });
    expect(job?.pipeline_stages[0]).toMatchObject({ json: { expressions: { level: 'level', service: 'service', reqId: 'reqId' } } });
  });

  it('runs the Kubernetes collector tiers: the first behind the Service the services send to, the sampling tier behind a headless Service its DNS resolver reads', () => {
    const docs = parse(opsPath('k8s/otel-collector.yaml')) as Array<K8sDocument & { spec: { clusterIP?: string; selector?: Record<string, string> } }>;
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    const services = docs.filter((d) => d.kind === 'Service');
    const first = deployments.find((d) => d.metadata.name === 'otel-collector')!.spec.template!.spec.containers[0] as unknown as { args: string[]; env: Array<{ name: string; value: string }> };
    expect(first.args).toEqual(['--config', '/etc/otelcol-twinkle/config.first-tier.dns.yaml']);
    const headless = services.find((s) => s.spec.clusterIP === 'None');
    expect(headless?.metadata.name).toBe(first.env.find((e) => e.name === 'COLLECTOR_SAMPLING_TIER_DNS')?.value);
    expect(headless?.spec.selector).toEqual({ app: 'otel-collector-sampling' });
    expect(services.find((s) => s.metadata.name === 'otel-collector')?.spec.clusterIP).toBeUndefined();
    // The services' endpoint is the first tier's Service.
    for (const name of ['twinkle-api', 'twinkle-facilitator']) {
      const app = (parse(opsPath(`k8s/${name}.yaml`)) as K8sDocument[]).find((d) => d.kind === 'Deployment')!;
      const env = (app.spec.template!.spec.containers[0] as unknown as { env: Array<{ name: string; value?: string }> }).env;
      expect(env.find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toBe('http://otel-collector:4318');
    }
  });

  it.each([
    ['twinkle-api', 3000],
    ['twinkle-facilitator', 3001],
  ])("gives the %s Deployment the contract's health probes on its port", (name, port) => {
    const docs = parse(opsPath(`k8s/${name}.yaml`)) as K8sDocument[];
    const deployment = docs.find((d) => d.kind === 'Deployment');
    expect(deployment?.metadata.name).toBe(name);
    expect(deployment?.spec.template?.metadata.labels).toEqual({ app: name });
    const container = deployment?.spec.template?.spec.containers[0];
    expect(container?.ports[0]?.containerPort).toBe(port);
    expect(container?.livenessProbe).toEqual({ httpGet: { path: '/health', port }, initialDelaySeconds: 10, periodSeconds: 30 });
    expect(container?.readinessProbe).toEqual({ httpGet: { path: '/health', port }, initialDelaySeconds: 5, periodSeconds: 10 });
  });
});
