/**
 * The only reader of `process.env` in the agent. Every variable of the README's configuration table is
 * validated here; a bad value yields one problem line naming the variable and what
 * is accepted, and the default is used. Nothing here throws.
 */
import { basename } from 'node:path';

/** Where spans go (`OTEL_TRACES_EXPORTER`). */
export type TracesExporterName = 'otlp' | 'console' | 'none';
/** OTLP encoding (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';
/** Where metrics go (`OTEL_METRICS_EXPORTER`). */
export type MetricsExporterName = 'prometheus' | 'otlp' | 'none';
/** Sampler names of the OpenTelemetry specification (`OTEL_TRACES_SAMPLER`). */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
/** Exemplar filters the agent supports (`OTEL_METRICS_EXEMPLAR_FILTER`; `always_on` is refused). */
export type ExemplarFilterName = 'trace_based' | 'always_off';
/** Where pino lines go besides the log destination (`OTEL_LOGS_EXPORTER`). */
export type LogsExporterName = 'otlp' | 'none';
/** pino level names (`LOG_LEVEL`). */
export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
/** Where the agent's own lines go (`TWINKLE_DIAGNOSTICS`). */
export type DiagnosticsDestination = 'stderr' | 'stdout' | 'off';
/** Resource detectors the agent bundles (`OTEL_NODE_RESOURCE_DETECTORS`). */
export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process';

/** The agent's whole configuration, read once at start-up. */
export interface AgentConfig {
  /** `OTEL_SDK_DISABLED`. @default false */
  readonly disabled: boolean;
  /** `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. @default "unknown_service:node" */
  readonly serviceName: string;
  /** @default "otlp" */
  readonly tracesExporter: TracesExporterName;
  /** @default "http/protobuf" */
  readonly tracesProtocol: OtlpProtocol;
  /** Full URL spans are posted to. @default "http://localhost:4318/v1/traces" */
  readonly tracesUrl: string;
  /** @default "parentbased_always_on" */
  readonly sampler: SamplerName;
  /** Ratio for the traceidratio samplers. @default 1 */
  readonly samplerRatio: number;
  /** @default "prometheus" */
  readonly metricsExporter: MetricsExporterName;
  /** Full URL metrics are posted to when `metricsExporter` is otlp. @default "http://localhost:4318/v1/metrics" */
  readonly metricsUrl: string;
  /** `OTEL_METRIC_EXPORT_INTERVAL`: how often pushed metrics leave (otlp). @default 60000 */
  readonly metricExportIntervalMs: number;
  /** `OTEL_METRIC_EXPORT_TIMEOUT`: the longest one push may take (at most the interval). @default 30000 */
  readonly metricExportTimeoutMs: number;
  /**
   * `OTEL_METRICS_EXEMPLAR_FILTER`: `trace_based` puts exemplars (trace and span ids of sampled
   * requests) on the histograms served as OpenMetrics; `always_off` serves none.
   * @default "trace_based"
   */
  readonly exemplarFilter: ExemplarFilterName;
  /** `TWINKLE_EXEMPLAR_INTERVAL_MS`: the least time between two exemplars of one bucket of one series. @default 15000 */
  readonly exemplarIntervalMs: number;
  /** @default "none" (lines stay on the log destination only) */
  readonly logsExporter: LogsExporterName;
  /** @default "http/protobuf" */
  readonly logsProtocol: OtlpProtocol;
  /** Full URL log records are posted to when `logsExporter` is otlp. @default "http://localhost:4318/v1/logs" */
  readonly logsUrl: string;
  /**
   * `OTEL_NODE_ENABLED_INSTRUMENTATIONS`: instrumentation names as auto-instrumentations-node
   * spells them (no `@opentelemetry/instrumentation-` prefix); `undefined` runs the built-in set.
   * @default undefined
   */
  readonly enabledInstrumentations: readonly string[] | undefined;
  /** `OTEL_NODE_DISABLED_INSTRUMENTATIONS`, same names; wins over the enabled list. @default [] */
  readonly disabledInstrumentations: readonly string[];
  /** Dedicated Prometheus listener; `undefined` serves `/metrics` on the app's own HTTP server. @default undefined */
  readonly prometheusListener: { readonly host: string; readonly port: number } | undefined;
  /** @default ["env", "host", "os", "process"] */
  readonly resourceDetectors: readonly ResourceDetectorName[];
  /** @default "info" */
  readonly logLevel: LogLevelName;
  /** `LOG_DESTINATION`: where the access log and the loggers the agent hands out write. @default "stdout" */
  readonly logDestination: 'stdout' | 'stderr';
  /**
   * `TWINKLE_DIAGNOSTICS`: where the agent's own lines go (its start line, warnings,
   * errors): stderr, stdout, or nowhere. @default "stderr" (a host's stdout stays its own)
   */
  readonly diagnostics: DiagnosticsDestination;
  /**
   * `TWINKLE_EXIT_FLUSH_TIMEOUT_MS`: the longest the agent holds a process that ran out of
   * work (`beforeExit`) to send its spans, log records, events and pushed metrics.
   * @default 2000
   */
  readonly exitFlushTimeoutMs: number;
  /**
   * `TWINKLE_ALLOW_UNSUPPORTED_NODE`: start on a Node older than the agent supports
   * (node-floor.ts) instead of staying off. Unsupported: only that it starts is tested there.
   * @default false
   */
  readonly allowUnsupportedNode: boolean;
  /** Sentry, when `SENTRY_DSN` holds a valid DSN. @default undefined */
  readonly sentry: SentryConfig | undefined;
  /** Node's `--unhandled-rejections` mode (from the flags or NODE_OPTIONS). @default "throw" */
  readonly unhandledRejections: UnhandledRejectionsMode;
  /** Set when pm2 started the process (`pm_id`): its app name, and whether in cluster mode. @default undefined */
  readonly pm2: Pm2Process | undefined;
}

/** What pm2 tells a process it started. */
export interface Pm2Process {
  /** The app's `name` in the process file. */
  readonly appName: string;
  /**
   * `exec_mode` is cluster_mode: the process is a `node:cluster` worker of pm2's daemon,
   * whose stdout and stderr are pm2's own; pm2 takes the app's lines by replacing
   * `process.stdout.write` and `process.stderr.write` (lib/ProcessContainer.js).
   */
  readonly clusterMode: boolean;
}

/** Node's `--unhandled-rejections` modes. */
export type UnhandledRejectionsMode = 'throw' | 'strict' | 'warn' | 'none' | 'warn-with-error-code';

/** `SENTRY_DSN`, `SENTRY_ENVIRONMENT`, `SENTRY_RELEASE`. */
export interface SentryConfig {
  readonly dsn: string;
  /** @default undefined (Sentry's "production") */
  readonly environment: string | undefined;
  /** @default undefined */
  readonly release: string | undefined;
}

/** What `readConfig` returns: the configuration and one line per bad value. */
export interface ConfigResult {
  readonly config: AgentConfig;
  readonly problems: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const TRACES_EXPORTERS = ['otlp', 'console', 'none'] as const;
const LOGS_EXPORTERS = ['otlp', 'none'] as const;
const METRICS_EXPORTERS = ['prometheus', 'otlp', 'none'] as const;
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const DETECTORS = ['env', 'host', 'os', 'process'] as const;
const CLOUD_DETECTORS = ['aws', 'alibaba', 'azure', 'container', 'gcp'];
const DEFAULT_PROMETHEUS_PORT = 9464;
const DEFAULT_PROMETHEUS_HOST = 'localhost';
const DEFAULT_OTLP_BASE = 'http://localhost:4318';
const EXEMPLAR_FILTERS = ['trace_based', 'always_off'] as const;
/** The monitoring contract's scrape interval: one exemplar per bucket per scrape at most. */
const DEFAULT_EXEMPLAR_INTERVAL_MS = 15_000;
/** As dd-trace bounds its flush at a natural exit: short, so a job ends soon after its work. */
const DEFAULT_EXIT_FLUSH_TIMEOUT_MS = 2000;

/** Reads and validates the environment; never throws. */
export function readConfig(hostEnv: Env = process.env): ConfigResult {
  const env = withPm2Env(hostEnv);
  const problems: string[] = [];
  const reader = new EnvReader(env, problems);

  const disabled = reader.boolean('OTEL_SDK_DISABLED', false);
  const resourceServiceName = reader.resourceServiceName();
  const serviceName =
    reader.string('OTEL_SERVICE_NAME') ?? resourceServiceName ?? `unknown_service:${basename(process.argv0 || 'node')}`;

  const tracesExporter = reader.oneOfList('OTEL_TRACES_EXPORTER', TRACES_EXPORTERS, 'otlp');
  const protocol = reader.protocol('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf');
  const tracesProtocol = reader.protocol('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', protocol);
  const base = reader.url('OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_OTLP_BASE;
  const tracesUrl = reader.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? joinSignalPath(base, 'v1/traces');
  const metricsUrl = reader.url('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') ?? joinSignalPath(base, 'v1/metrics');
  const logsUrl = reader.url('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT') ?? joinSignalPath(base, 'v1/logs');
  const logsProtocol = reader.protocol('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', protocol);
  reader.headers('OTEL_EXPORTER_OTLP_HEADERS');
  reader.headers('OTEL_EXPORTER_OTLP_TRACES_HEADERS');
  reader.headers('OTEL_EXPORTER_OTLP_LOGS_HEADERS');

  const sampler = reader.oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on');
  const samplerRatio = reader.ratio('OTEL_TRACES_SAMPLER_ARG', 1);

  const metricsExporter = reader.oneOfList('OTEL_METRICS_EXPORTER', METRICS_EXPORTERS, 'prometheus');
  const promHost = reader.string('OTEL_EXPORTER_PROMETHEUS_HOST');
  const promPort = reader.port('OTEL_EXPORTER_PROMETHEUS_PORT');
  const prometheusListener =
    promHost !== undefined || promPort !== undefined
      ? { host: promHost ?? DEFAULT_PROMETHEUS_HOST, port: promPort ?? DEFAULT_PROMETHEUS_PORT }
      : undefined;

  const exemplarFilter = reader.exemplarFilter('OTEL_METRICS_EXEMPLAR_FILTER');
  const exemplarIntervalMs = reader.positiveInteger('TWINKLE_EXEMPLAR_INTERVAL_MS', DEFAULT_EXEMPLAR_INTERVAL_MS);

  const config: AgentConfig = {
    disabled,
    serviceName,
    tracesExporter,
    tracesProtocol,
    tracesUrl,
    sampler,
    samplerRatio,
    metricsExporter,
    metricsUrl,
    metricExportIntervalMs: reader.positiveInteger('OTEL_METRIC_EXPORT_INTERVAL', 60_000),
    metricExportTimeoutMs: reader.positiveInteger('OTEL_METRIC_EXPORT_TIMEOUT', 30_000),
    logsExporter: reader.oneOfList('OTEL_LOGS_EXPORTER', LOGS_EXPORTERS, 'none'),
    logsProtocol,
    logsUrl,
    enabledInstrumentations: reader.names('OTEL_NODE_ENABLED_INSTRUMENTATIONS'),
    disabledInstrumentations: reader.names('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [],
    prometheusListener,
    exemplarFilter,
    exemplarIntervalMs,
    resourceDetectors: reader.detectors('OTEL_NODE_RESOURCE_DETECTORS'),
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logDestination: reader.oneOf('LOG_DESTINATION', ['stdout', 'stderr'] as const, 'stdout'),
    diagnostics: reader.oneOf('TWINKLE_DIAGNOSTICS', ['stderr', 'stdout', 'off'] as const, 'stderr'),
    exitFlushTimeoutMs: reader.positiveInteger('TWINKLE_EXIT_FLUSH_TIMEOUT_MS', DEFAULT_EXIT_FLUSH_TIMEOUT_MS),
    allowUnsupportedNode: reader.boolean('TWINKLE_ALLOW_UNSUPPORTED_NODE', false),
    sentry: reader.sentry(),
    unhandledRejections: unhandledRejectionsMode([...process.execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)]),
    pm2: env.pm_id === undefined ? undefined : { appName: env.name ?? '', clusterMode: env.exec_mode === 'cluster_mode' },
  };
  return { config: Object.freeze(config), problems };
}

/**
 * The headers the OTLP exporters send for `signal`: `OTEL_EXPORTER_OTLP_HEADERS` and the
 * signal's own variable over it, percent-decoded; malformed pairs are left out (the
 * problem is reported by readConfig). For checks that talk to the endpoints as the
 * exporters would (`twinkle-agent doctor`); never logged.
 */
export function otlpHeaders(signal: 'traces' | 'metrics' | 'logs', env: Env = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`]) {
    for (const pair of (env[name] ?? '').split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      try {
        const key = decodeURIComponent(pair.slice(0, eq).trim());
        const value = decodeURIComponent(pair.slice(eq + 1).trim());
        if (key && value) out[key] = value;
      } catch {
        // malformed: left out
      }
    }
  }
  return out;
}

/**
 * The environment as the app will see it. pm2 in cluster mode starts a worker with the
 * app's variables inside one variable, `pm2_env` (JSON), and copies them into
 * `process.env` only after the preloads ran (pm2 lib/ProcessContainer.js), so the agent
 * would miss `OTEL_SERVICE_NAME` and the rest: they are read from there, with pm2's
 * precedence (its values replace the process's).
 */
function withPm2Env(env: Env): Env {
  const raw = env.pm2_env;
  if (raw === undefined) return env;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return env;
    const out: Record<string, string | undefined> = { ...env };
    // As process.env would hold them: numbers (pm_id) as strings; objects are not variables.
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string' || typeof value === 'number') out[key] = String(value);
    return out;
  } catch {
    return env;
  }
}

/** `http://host:4318` + `v1/traces`, keeping any path prefix the endpoint has (as the OTLP spec says). */
function joinSignalPath(base: string, signalPath: string): string {
  return base.endsWith('/') ? base + signalPath : `${base}/${signalPath}`;
}

const REJECTION_MODES: readonly UnhandledRejectionsMode[] = ['throw', 'strict', 'warn', 'none', 'warn-with-error-code'];

/** The last `--unhandled-rejections=<mode>` among Node's flags; Node's default is throw. */
function unhandledRejectionsMode(flags: string[]): UnhandledRejectionsMode {
  let mode: UnhandledRejectionsMode = 'throw';
  for (const flag of flags) {
    const m = /^--unhandled-rejections=(.+)$/.exec(flag);
    if (m && (REJECTION_MODES as readonly string[]).includes(m[1])) mode = m[1] as UnhandledRejectionsMode;
  }
  return mode;
}

/** A Sentry DSN: `https://<public key>@<host>[/<path>]/<project id>`. */
export const DSN = /^(https?):\/\/[A-Za-z0-9]+(?::[A-Za-z0-9]+)?@[^/\s]+(\/[^\s]*)?\/\d+\/?$/;

/** Shows a bad value safely: quoted, control characters escaped, cut at 64 characters. */
function show(value: string): string {
  const cut = value.length > 64 ? `${value.slice(0, 64)}...` : value;
  return JSON.stringify(cut);
}

/** Typed getters over the environment in the style of OpenTelemetry's own: blank means unset. */
class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string): string | undefined {
    const raw = this.env[name]?.trim();
    return raw ? raw : undefined;
  }

  private reject(name: string, value: string | undefined, accepted: string, using: string): void {
    const shown = value === undefined ? '' : `=${show(value)}`;
    this.problems.push(`${name}${shown} is not valid (accepted: ${accepted}); using ${using}`);
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    this.reject(name, raw, 'true or false', String(fallback));
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    this.reject(name, raw, allowed.join(', '), fallback);
    return fallback;
  }

  /** A comma-separated list of which the agent supports one entry (the spec allows several). */
  oneOfList<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const items = raw
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const known = items.filter((i): i is T => allowed.includes(i as T));
    if (known.length === items.length && known.length > 0) {
      if (known.length > 1 && known.includes('none' as T)) return 'none' as T;
      if (known.length > 1) this.problems.push(`${name}=${show(raw)} names several exporters; using the first, ${known[0]}`);
      return known[0];
    }
    const using = known[0] ?? fallback;
    this.reject(name, raw, allowed.join(', '), using);
    return using;
  }

  protocol(name: string, fallback: OtlpProtocol): OtlpProtocol {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if ((PROTOCOLS as readonly string[]).includes(raw)) return raw as OtlpProtocol;
    this.reject(name, raw, PROTOCOLS.join(', '), fallback);
    return fallback;
  }

  url(name: string): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
    } catch {
      // reported below
    }
    // The value may carry credentials; show only that it was bad.
    this.reject(name, undefined, 'an http:// or https:// URL', 'the default');
    return undefined;
  }

  headers(name: string): void {
    const raw = this.string(name);
    if (raw === undefined) return;
    const ok = raw.split(',').every((pair) => /^[^=\s]+\s*=\s*\S/.test(pair.trim()));
    // Never echo the value: headers carry API keys.
    if (!ok) this.problems.push(`${name} is not valid (accepted: key1=value1,key2=value2, percent-encoded); malformed pairs are ignored`);
  }

  ratio(name: string, fallback: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
    this.reject(name, raw, 'a number from 0 to 1', String(fallback));
    return fallback;
  }

  positiveInteger(name: string, fallback: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (/^\d{1,10}$/.test(raw) && Number(raw) >= 1) return Number(raw);
    this.reject(name, raw, 'an integer of 1 or more', String(fallback));
    return fallback;
  }

  /** OpenTelemetry's exemplar filter; `always_on` would give exemplars pointing at traces nobody kept. */
  exemplarFilter(name: string): ExemplarFilterName {
    const raw = this.string(name);
    if (raw?.toLowerCase() === 'always_on') {
      this.problems.push(
        `${name}=always_on is not supported (an exemplar of an unsampled request would point at a trace that was never sent; accepted: ${EXEMPLAR_FILTERS.join(', ')}); using trace_based`,
      );
      return 'trace_based';
    }
    return this.oneOf(name, EXEMPLAR_FILTERS, 'trace_based');
  }

  port(name: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) return Number(raw);
    this.reject(name, raw, 'an integer from 0 to 65535', 'the default');
    return undefined;
  }

  /**
   * A comma-separated list of instrumentation names (`http,pg`); a name that cannot be
   * one (`@opentelemetry/instrumentation-pg`, spaces, slashes) is skipped with one line.
   */
  names(name: string): string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const out: string[] = [];
    for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (/^[a-z0-9][a-z0-9._-]*$/.test(item)) {
        if (!out.includes(item)) out.push(item);
      } else this.reject(name, item, 'names such as http, pg, mysql2 (without the @opentelemetry/instrumentation- prefix)', 'the others named');
    }
    return out;
  }

  detectors(name: string): ResourceDetectorName[] {
    const raw = this.string(name);
    if (raw === undefined) return [...DETECTORS];
    const out = new Set<ResourceDetectorName>();
    for (const item of raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
      if (item === 'all') DETECTORS.forEach((d) => out.add(d));
      else if (item === 'none') continue;
      else if ((DETECTORS as readonly string[]).includes(item)) out.add(item as ResourceDetectorName);
      else if (CLOUD_DETECTORS.includes(item))
        this.problems.push(`${name}: the ${item} detector is not bundled with @twinkle/agent (it calls a cloud metadata address); skipped`);
      else this.reject(name, item, `${DETECTORS.join(', ')}, all, none`, 'the others named');
    }
    return [...out];
  }

  /** Sentry's settings, or undefined without a (valid) DSN. */
  sentry(): SentryConfig | undefined {
    const dsn = this.string('SENTRY_DSN');
    if (dsn === undefined) return undefined;
    if (!DSN.test(dsn)) {
      // A DSN holds a key: say that it was bad, not what it was.
      this.problems.push('SENTRY_DSN is not valid (accepted: https://<public key>@<host>/<project id>); Sentry stays off');
      return undefined;
    }
    return { dsn, environment: this.string('SENTRY_ENVIRONMENT'), release: this.string('SENTRY_RELEASE') };
  }

  /** `service.name` from `OTEL_RESOURCE_ATTRIBUTES`, which is validated on the way. */
  resourceServiceName(): string | undefined {
    const raw = this.string('OTEL_RESOURCE_ATTRIBUTES');
    if (raw === undefined) return undefined;
    let serviceName: string | undefined;
    let bad = false;
    for (const pair of raw.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        bad = true;
        continue;
      }
      const key = pair.slice(0, eq).trim();
      let value: string;
      try {
        value = decodeURIComponent(pair.slice(eq + 1).trim());
      } catch {
        bad = true;
        continue;
      }
      if (key === 'service.name' && value) serviceName = value;
    }
    if (bad)
      this.problems.push(
        'OTEL_RESOURCE_ATTRIBUTES is not valid (accepted: key1=value1,key2=value2, percent-encoded); malformed pairs are ignored',
      );
    return serviceName;
  }
}
