/**
 * `twinkle-agent doctor`: what the agent would do in this environment and folder, and
 * whether what it talks to answers, before the service is deployed. It reads the
 * configuration with the agent's own reader, starts nothing and patches nothing; every
 * network check is bounded by `timeoutMs`.
 */
import { isMainThread } from 'node:worker_threads';
import * as nodeModule from 'node:module';
import { otlpHeaders, readConfig, type AgentConfig } from '../config.js';
import { withoutCredentials } from '../scrub.js';
import { VERSION } from '../version.js';
import { checkOtlpEndpoint, type CheckResult } from './endpoint-check.js';
import { instrumentedLibraries, isSupported, type LibraryStatus } from './libraries.js';
import { checkCanListen } from './listen-check.js';
import { NODE_FLOOR, isSupportedNode } from '../node-floor.js';

/** The Node versions the agent supports (package.json engines). */
export const SUPPORTED_NODE = `>=${NODE_FLOOR}`;

/** Everything doctor found. */
export interface DoctorReport {
  readonly agentVersion: string;
  readonly node: { readonly version: string; readonly supported: boolean; readonly esmHook: string };
  /** The effective configuration, secrets masked. */
  readonly config: Record<string, unknown>;
  readonly folder: string;
  readonly libraries: readonly (LibraryStatus & { readonly ok: boolean })[];
  readonly checks: readonly CheckResult[];
  /** One line per problem; empty when all is well. */
  readonly problems: readonly string[];
}

/** Options of `runDoctor`. */
export interface DoctorOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The folder libraries are resolved from. @default process.cwd() */
  readonly folder?: string;
  /** Bound of each network check. @default 3000 */
  readonly timeoutMs?: number;
}

/** How import-in-the-middle will hook ESM here (the same test the agent makes, esm-hook.ts). */
function esmHookMode(): string {
  try {
    const sync = require('import-in-the-middle/register-hooks.mjs') as { supportsSyncHooks(): boolean };
    if (sync.supportsSyncHooks()) return 'sync (in-thread module.registerHooks)';
  } catch {
    // older import-in-the-middle: the loader thread
  }
  return typeof nodeModule.register === 'function' ? 'async (off-thread module.register loader)' : 'none (this Node cannot hook ESM)';
}

/** `https://<key>@host/1` shown as `https://***@host/1`. */
function maskDsn(dsn: string): string {
  return dsn.replace(/^(https?:\/\/)[^@]*@/, '$1***@');
}

/** The configuration as the agent would run it, with nothing secret in it. */
function shownConfig(config: AgentConfig, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  return {
    disabled: config.disabled,
    serviceName: config.serviceName,
    tracesExporter: config.tracesExporter,
    tracesProtocol: config.tracesProtocol,
    tracesUrl: withoutCredentials(config.tracesUrl),
    sampler: config.samplerRatio === 1 ? config.sampler : `${config.sampler} (${config.samplerRatio})`,
    metricsExporter: config.metricsExporter,
    metricsUrl: config.metricsExporter === 'otlp' ? withoutCredentials(config.metricsUrl) : undefined,
    prometheusListener: config.prometheusListener ? `${config.prometheusListener.host}:${config.prometheusListener.port}` : undefined,
    logsExporter: config.logsExporter,
    logsProtocol: config.logsExporter === 'otlp' ? config.logsProtocol : undefined,
    logsUrl: config.logsExporter === 'otlp' ? withoutCredentials(config.logsUrl) : undefined,
    enabledInstrumentations: config.enabledInstrumentations,
    disabledInstrumentations: config.disabledInstrumentations.length > 0 ? config.disabledInstrumentations : undefined,
    resourceDetectors: config.resourceDetectors,
    logLevel: config.logLevel,
    logDestination: config.logDestination,
    diagnostics: config.diagnostics,
    exitFlushTimeoutMs: config.exitFlushTimeoutMs,
    allowUnsupportedNode: config.allowUnsupportedNode || undefined,
    otlpHeaders: env.OTEL_EXPORTER_OTLP_HEADERS?.trim() ? 'set (not shown)' : undefined,
    sentry: config.sentry ? { dsn: maskDsn(config.sentry.dsn), environment: config.sentry.environment, release: config.sentry.release } : undefined,
  };
}

/** Runs every check (the network ones at once) and gathers the problems. */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const folder = options.folder ?? process.cwd();
  const timeoutMs = options.timeoutMs ?? 3000;
  const { config, problems: configProblems } = readConfig(env);
  const problems: string[] = [];
  // The DSN has a check of its own below.
  problems.push(...configProblems.filter((p) => !p.startsWith('SENTRY_DSN')));

  const nodeSupported = isSupportedNode(process.versions.node);
  if (!nodeSupported)
    problems.push(
      `Node ${process.version} is older than @twinkle/agent supports (${SUPPORTED_NODE}): the agent would stay off${config.allowUnsupportedNode ? ', but TWINKLE_ALLOW_UNSUPPORTED_NODE=true starts it anyway' : ''}`,
    );

  const libraries = instrumentedLibraries(config, folder, problems).map((l) => ({ ...l, ok: l.version === undefined || isSupported(l) }));
  // A library in a version its instrumentation does not patch is a problem when none of
  // the instrumentation's libraries is installed in one it does (instrumentation-redis
  // declares `redis` 2-3 and `@redis/client` 1-6: redis 5 is patched through the latter).
  const served = new Set(libraries.filter((l) => l.version !== undefined && l.ok).map((l) => l.instrumentation));
  for (const l of libraries) {
    if (!l.ok && l.enabled && !served.has(l.instrumentation))
      problems.push(`${l.library} ${l.version} is installed, but ${l.instrumentation}'s instrumentation supports ${l.supported.join(' || ')}: it will not be instrumented`);
  }

  const pending: Array<Promise<CheckResult>> = [];
  if (config.disabled) {
    pending.push(Promise.resolve({ name: 'agent', ok: true, detail: 'OTEL_SDK_DISABLED=true: the agent starts nothing' }));
  } else {
    if (config.tracesExporter === 'otlp')
      pending.push(checkOtlpEndpoint('traces', config.tracesUrl, config.tracesProtocol, otlpHeaders('traces', env), timeoutMs));
    if (config.metricsExporter === 'otlp')
      pending.push(checkOtlpEndpoint('metrics', config.metricsUrl, config.tracesProtocol, otlpHeaders('metrics', env), timeoutMs));
    if (config.logsExporter === 'otlp') pending.push(checkOtlpEndpoint('logs', config.logsUrl, config.logsProtocol, otlpHeaders('logs', env), timeoutMs));
    if (config.metricsExporter === 'prometheus') {
      pending.push(
        config.prometheusListener !== undefined
          ? checkCanListen(config.prometheusListener.host, config.prometheusListener.port, timeoutMs)
          : Promise.resolve({
              name: 'prometheus listener',
              ok: true,
              detail: "/metrics is answered on the app's own port, before the app sees it (an app route GET /metrics is shadowed)",
            }),
      );
    }
    const dsnSet = Boolean(env.SENTRY_DSN?.trim());
    pending.push(
      Promise.resolve(
        !dsnSet
          ? { name: 'sentry', ok: true, detail: 'SENTRY_DSN is not set: Sentry stays off' }
          : config.sentry !== undefined
            ? { name: 'sentry', ok: true, detail: `SENTRY_DSN is valid (${maskDsn(config.sentry.dsn)})` }
            : {
                name: 'sentry',
                ok: false,
                detail: 'SENTRY_DSN',
                problem: 'SENTRY_DSN is not valid (accepted: https://<public key>@<host>/<project id>); Sentry would stay off',
              },
      ),
    );
  }
  const checks = await Promise.all(pending);
  for (const c of checks) if (c.problem !== undefined) problems.push(c.problem);

  return {
    agentVersion: VERSION,
    node: { version: process.version, supported: nodeSupported, esmHook: isMainThread ? esmHookMode() : 'n/a' },
    config: shownConfig(config, env),
    folder,
    libraries,
    checks,
    problems,
  };
}

/** The report as text: what was found, then one line per problem. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [`@twinkle/agent ${report.agentVersion} doctor`, '', 'configuration (secrets masked):'];
  for (const [key, value] of Object.entries(report.config)) {
    if (value !== undefined) lines.push(`  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  lines.push(
    '',
    `node: ${report.node.version} (${report.node.supported ? 'supported' : `not supported: needs ${SUPPORTED_NODE}`}), ESM hook: ${report.node.esmHook}`,
    '',
    `instrumented libraries, as they resolve from ${report.folder}:`,
  );
  for (const l of report.libraries) {
    const state = l.version === undefined ? 'not installed' : `${l.version} ${l.ok ? 'supported' : `NOT supported (${l.supported.join(' || ')})`}`;
    lines.push(`  ${l.library.padEnd(14)} ${state}${l.enabled ? '' : ' (instrumentation switched off)'}  [${l.instrumentation}]`);
  }
  lines.push('', 'checks:');
  for (const c of report.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.ok ? c.detail : c.problem}`);
  lines.push('');
  if (report.problems.length === 0) lines.push('all is well');
  else for (const p of report.problems) lines.push(`problem: ${p}`);
  return `${lines.join('\n')}\n`;
}
