/**
 * What `node --import @twinkle/agent` (or `--require`) runs, through preload.ts (which
 * loads it bundled, with a code cache): double-load guard, config, Node floor, ESM hook,
 * start, one log line. A failure leaves the app running uninstrumented and is said once.
 */
import { isMainThread } from 'node:worker_threads';
import { readConfig } from './config.js';
import { createDiag } from './diag.js';
import { isSupportedNode, unsupportedNodeMessage } from './node-floor.js';
import { writeThroughHostStreams } from './output/line-sink.js';
import type { AgentHandle } from './sdk.js';

/** What the guard holds while the agent is disabled or did not start. */
const NOOP_AGENT: AgentHandle = {
  started: false,
  metricsEndpoint: undefined,
  rerouteOtelWarning: () => false,
  shutdown: async () => {},
  whenServing: () => {},
};

const AGENT = Symbol.for('twinkle.agent');

function register(): AgentHandle {
  const g = globalThis as { [AGENT]?: AgentHandle };
  // Loaded twice (--import twice, --import plus --require, or an import in the app): start once.
  const existing = g[AGENT];
  if (existing !== undefined) return existing;
  g[AGENT] = NOOP_AGENT;
  // Worker threads inherit --import; the main thread's agent already covers the process.
  if (!isMainThread) return NOOP_AGENT;

  const { config, problems } = readConfig(process.env);
  // pm2's cluster mode takes a worker's lines from process.stdout/stderr.write, not from its descriptors.
  if (config.pm2?.clusterMode) writeThroughHostStreams();
  const diag = createDiag(config);
  // Below the floor: one line and nothing else, before anything that needs a newer Node loads.
  const supported = isSupportedNode(process.versions.node);
  if (!supported && !config.allowUnsupportedNode) {
    diag.warn(unsupportedNodeMessage(process.version, false));
    return NOOP_AGENT;
  }
  if (!supported) diag.warn(unsupportedNodeMessage(process.version, true));
  for (const problem of problems) diag.warn(problem);
  // OTEL_SDK_DISABLED=true: nothing patched, nothing served.
  if (config.disabled) return NOOP_AGENT;

  let contrib: import('./instrumentations/switches.js').LoadedContrib[] = [];
  try {
    // Everything past this point loads only when the agent runs: a disabled agent loads
    // no OpenTelemetry package at all.
    const { bridgeOtelDiag } = require('./otel-diag-bridge.js') as typeof import('./otel-diag-bridge.js');
    const { registerEsmHook } = require('./esm-hook.js') as typeof import('./esm-hook.js');
    const { instrumentedModules } = require('./instrumentations/index.js') as typeof import('./instrumentations/index.js');
    const { isSendingLogs, isTracing, startAgent } = require('./sdk.js') as typeof import('./sdk.js');
    const { loadContribInstrumentations, resolveSwitches } = require('./instrumentations/switches.js') as typeof import('./instrumentations/switches.js');
    bridgeOtelDiag(diag, config.logLevel);
    const tracing = isTracing(config);
    const switchProblems: string[] = [];
    const switches = resolveSwitches(config, switchProblems);
    if (!tracing && switches.contrib.length > 0)
      switchProblems.push(`OTEL_NODE_ENABLED_INSTRUMENTATIONS: ${switches.contrib.join(', ')} make spans only, and spans are not exported (OTEL_TRACES_EXPORTER=none); not loaded`);
    // Contrib instrumentations are required (and hook require) before the ESM hook, which must know their modules.
    contrib = tracing ? loadContribInstrumentations(switches.contrib, switchProblems) : [];
    for (const problem of switchProblems) diag.warn(problem);
    registerEsmHook(
      instrumentedModules({ tracing, logSending: isSendingLogs(config), enabled: switches.builtIn }, contrib.flatMap((c) => c.modules)),
    );
    const agent = startAgent(config, diag, { enabled: switches.builtIn, contrib: contrib.map((c) => c.instrumentation) });
    g[AGENT] = agent;
    bridgeOtelDiag(diag, config.logLevel, (msg) => agent.rerouteOtelWarning(msg));
    const { withoutCredentials } = require('./scrub.js') as typeof import('./scrub.js');
    const traces = config.tracesExporter === 'otlp' ? `otlp ${withoutCredentials(config.tracesUrl)}` : config.tracesExporter;
    const logsTo = isSendingLogs(config) ? `, logs otlp ${withoutCredentials(config.logsUrl)}` : '';
    // Said when the process starts serving: a script, a CLI or a test runner's child that
    // serves nothing hears nothing from the agent unless something is wrong.
    const metrics = agent.metricsEndpoint ?? (config.metricsExporter === 'otlp' ? `otlp ${withoutCredentials(config.metricsUrl)}` : 'off');
    agent.whenServing(() => diag.info(`agent started: metrics ${metrics}, traces ${traces}${logsTo}`));
    return agent;
  } catch (err) {
    for (const c of contrib) c.instrumentation.disable();
    diag.error(`agent disabled: ${err instanceof Error ? err.message : String(err)}; the app runs uninstrumented`);
    return NOOP_AGENT;
  }
}

register();
