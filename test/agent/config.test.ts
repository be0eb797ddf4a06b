import { describe, expect, it } from 'vitest';
import { readConfig } from '../../agent/src/config.js';

describe('readConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const { config, problems } = readConfig({});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      disabled: false,
      tracesExporter: 'otlp',
      tracesProtocol: 'http/protobuf',
      tracesUrl: 'http://localhost:4318/v1/traces',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      metricsExporter: 'prometheus',
      prometheusListener: undefined,
      resourceDetectors: ['env', 'host', 'os', 'process'],
      logLevel: 'info',
      logDestination: 'stdout',
      exemplarFilter: 'trace_based',
      exemplarIntervalMs: 15_000,
      logsExporter: 'none',
      logsProtocol: 'http/protobuf',
      logsUrl: 'http://localhost:4318/v1/logs',
      enabledInstrumentations: undefined,
      disabledInstrumentations: [],
      diagnostics: 'stderr',
      exitFlushTimeoutMs: 2000,
      allowUnsupportedNode: false,
      metricExportIntervalMs: 60_000,
      metricExportTimeoutMs: 30_000,
    });
    expect(config.serviceName).toMatch(/^unknown_service:/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the exemplar filter and interval, and refuses always_on and bad intervals with a line each', () => {
    expect(readConfig({ OTEL_METRICS_EXEMPLAR_FILTER: 'ALWAYS_OFF', TWINKLE_EXEMPLAR_INTERVAL_MS: '500' }).config).toMatchObject({
      exemplarFilter: 'always_off',
      exemplarIntervalMs: 500,
    });
    const { config, problems } = readConfig({ OTEL_METRICS_EXEMPLAR_FILTER: 'always_on', TWINKLE_EXEMPLAR_INTERVAL_MS: '0' });
    expect(config).toMatchObject({ exemplarFilter: 'trace_based', exemplarIntervalMs: 15_000 });
    expect(problems).toEqual([
      expect.stringMatching(/^OTEL_METRICS_EXEMPLAR_FILTER=always_on is not supported .*using trace_based$/),
      'TWINKLE_EXEMPLAR_INTERVAL_MS="0" is not valid (accepted: an integer of 1 or more); using 15000',
    ]);
    expect(readConfig({ OTEL_METRICS_EXEMPLAR_FILTER: 'sometimes', TWINKLE_EXEMPLAR_INTERVAL_MS: '1.5s' }).problems).toHaveLength(2);
  });

  it('reads the logs exporter, its endpoint and protocol, falling back to the shared ones', () => {
    expect(readConfig({ OTEL_LOGS_EXPORTER: 'OTLP', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).config).toMatchObject({
      logsExporter: 'otlp',
      logsUrl: 'http://c:4318/base/v1/logs',
      logsProtocol: 'http/json',
    });
    expect(
      readConfig({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://l:4318/x', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).config,
    ).toMatchObject({ logsUrl: 'http://l:4318/x', logsProtocol: 'http/protobuf' });
    const { config, problems } = readConfig({ OTEL_LOGS_EXPORTER: 'kafka' });
    expect(config.logsExporter).toBe('none');
    expect(problems).toEqual(['OTEL_LOGS_EXPORTER="kafka" is not valid (accepted: otlp, none); using none']);
  });

  it('reads the instrumentation switches as lists of names, one line per name that cannot be one', () => {
    const { config, problems } = readConfig({
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: ' http, mysql2 ,,http,socket.io',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici,@opentelemetry/instrumentation-pg,a b',
    });
    expect(config.enabledInstrumentations).toEqual(['http', 'mysql2', 'socket.io']);
    expect(config.disabledInstrumentations).toEqual(['undici']);
    expect(problems).toEqual([
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS="@opentelemetry/instrumentation-pg" is not valid (accepted: names such as http, pg, mysql2 (without the @opentelemetry/instrumentation- prefix)); using the others named',
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS="a b" is not valid (accepted: names such as http, pg, mysql2 (without the @opentelemetry/instrumentation- prefix)); using the others named',
    ]);
  });

  it('treats blank values as unset', () => {
    expect(readConfig({ OTEL_SDK_DISABLED: '  ', LOG_LEVEL: '' }).problems).toEqual([]);
  });

  it('reads every documented variable', () => {
    const { config, problems } = readConfig({
      OTEL_SDK_DISABLED: 'TRUE',
      OTEL_SERVICE_NAME: 'twinkle-api',
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_PROMETHEUS_PORT: '9464',
      LOG_LEVEL: 'debug',
      LOG_DESTINATION: 'stderr',
    });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      disabled: true,
      serviceName: 'twinkle-api',
      tracesExporter: 'console',
      tracesProtocol: 'http/json',
      tracesUrl: 'http://collector:4318/v1/traces',
      metricsUrl: 'http://collector:4318/v1/metrics',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      metricsExporter: 'otlp',
      prometheusListener: { host: 'localhost', port: 9464 },
      logLevel: 'debug',
      logDestination: 'stderr',
    });
  });

  it('reads where the agent writes its own lines, how long it holds an ending process, and how often metrics are pushed', () => {
    expect(
      readConfig({ TWINKLE_DIAGNOSTICS: 'OFF', TWINKLE_EXIT_FLUSH_TIMEOUT_MS: '500', OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '900' }).config,
    ).toMatchObject({ diagnostics: 'off', exitFlushTimeoutMs: 500, metricExportIntervalMs: 1000, metricExportTimeoutMs: 900 });
    expect(readConfig({ TWINKLE_DIAGNOSTICS: 'stdout' }).config.diagnostics).toBe('stdout');
  });

  it('reads whether to start on a Node older than the floor, with a line for a value that is not true or false', () => {
    expect(readConfig({ TWINKLE_ALLOW_UNSUPPORTED_NODE: 'TRUE' }).config.allowUnsupportedNode).toBe(true);
    expect(readConfig({ TWINKLE_ALLOW_UNSUPPORTED_NODE: 'false' }).config.allowUnsupportedNode).toBe(false);
    const { config, problems } = readConfig({ TWINKLE_ALLOW_UNSUPPORTED_NODE: 'yes' });
    expect(config.allowUnsupportedNode).toBe(false);
    expect(problems).toEqual(['TWINKLE_ALLOW_UNSUPPORTED_NODE="yes" is not valid (accepted: true or false); using false']);
  });

  it('prefers the traces endpoint as given over the base endpoint', () => {
    const { config } = readConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom',
    });
    expect(config.tracesUrl).toBe('http://b:4318/custom');
  });

  it('takes service.name from OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset', () => {
    expect(readConfig({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=twinkle%20api' }).config.serviceName).toBe(
      'twinkle api',
    );
  });

  it.each([
    ['OTEL_EXPORTER_PROMETHEUS_PORT', 'abc', 'OTEL_EXPORTER_PROMETHEUS_PORT="abc" is not valid (accepted: an integer from 0 to 65535); using the default'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '70000', 'OTEL_EXPORTER_PROMETHEUS_PORT="70000" is not valid (accepted: an integer from 0 to 65535); using the default'],
    ['OTEL_TRACES_SAMPLER_ARG', '7', 'OTEL_TRACES_SAMPLER_ARG="7" is not valid (accepted: a number from 0 to 1); using 1'],
    ['OTEL_SDK_DISABLED', 'maybe', 'OTEL_SDK_DISABLED="maybe" is not valid (accepted: true or false); using false'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL="loud" is not valid (accepted: trace, debug, info, warn, error, fatal, silent); using info'],
    ['LOG_DESTINATION', 'file', 'LOG_DESTINATION="file" is not valid (accepted: stdout, stderr); using stdout'],
    ['TWINKLE_DIAGNOSTICS', 'syslog', 'TWINKLE_DIAGNOSTICS="syslog" is not valid (accepted: stderr, stdout, off); using stderr'],
    ['TWINKLE_EXIT_FLUSH_TIMEOUT_MS', '2s', 'TWINKLE_EXIT_FLUSH_TIMEOUT_MS="2s" is not valid (accepted: an integer of 1 or more); using 2000'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '-5', 'OTEL_METRIC_EXPORT_INTERVAL="-5" is not valid (accepted: an integer of 1 or more); using 60000'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', 'soon', 'OTEL_METRIC_EXPORT_TIMEOUT="soon" is not valid (accepted: an integer of 1 or more); using 30000'],
    ['OTEL_TRACES_EXPORTER', 'jaeger', 'OTEL_TRACES_EXPORTER="jaeger" is not valid (accepted: otlp, console, none); using otlp'],
    ['OTEL_TRACES_SAMPLER', 'sometimes', 'OTEL_TRACES_SAMPLER="sometimes" is not valid (accepted: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio); using parentbased_always_on'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not valid (accepted: http/protobuf, http/json); using http/protobuf'],
    ['OTEL_METRICS_EXPORTER', 'statsd', 'OTEL_METRICS_EXPORTER="statsd" is not valid (accepted: prometheus, otlp, none); using prometheus'],
  ])('gives one line naming %s=%s and what is accepted', (name, value, line) => {
    const { problems } = readConfig({ [name]: value });
    expect(problems).toEqual([line]);
  });

  it('never echoes a bad endpoint or headers value, which may carry credentials', () => {
    const { config, problems } = readConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:s3cret@host',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key s3cret',
    });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toContain('s3cret');
    expect(problems[0]).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT is not valid/);
    expect(config.tracesUrl).toBe('http://localhost:4318/v1/traces');
  });

  it('escapes and cuts a hostile value in the problem line', () => {
    const { problems } = readConfig({ LOG_LEVEL: `x\n{"level":60}${'y'.repeat(500)}` });
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toContain('\n');
    expect(problems[0].length).toBeLessThan(200);
  });

  it('skips cloud resource detectors, which call metadata addresses, with a line', () => {
    const { config, problems } = readConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'env,aws,process' });
    expect(config.resourceDetectors).toEqual(['env', 'process']);
    expect(problems).toEqual([
      'OTEL_NODE_RESOURCE_DETECTORS: the aws detector is not bundled with @twinkle/agent (it calls a cloud metadata address); skipped',
    ]);
  });

  it('lets none win in an exporter list', () => {
    expect(readConfig({ OTEL_TRACES_EXPORTER: 'otlp,none' }).config.tracesExporter).toBe('none');
  });

  it("reads the app's variables from pm2_env when pm2 starts a cluster worker (pm2 copies them into process.env only later)", () => {
    const pm2Env = JSON.stringify({ OTEL_SERVICE_NAME: 'twinkle-api', LOG_LEVEL: 'debug', pm_id: 3, name: 'twinkle-api', exec_mode: 'cluster_mode', env: { X: 'y' } });
    const { config, problems } = readConfig({ pm2_env: pm2Env, LOG_LEVEL: 'warn' });
    expect(problems).toEqual([]);
    expect(config.serviceName).toBe('twinkle-api');
    // pm2's values replace the process's, as pm2 itself does.
    expect(config.logLevel).toBe('debug');
    expect(config.pm2).toEqual({ appName: 'twinkle-api', clusterMode: true });
  });

  it('knows pm2 fork mode from its variables, and ignores a pm2_env that is not JSON', () => {
    expect(readConfig({ pm_id: '0', name: 'twinkle-api', exec_mode: 'fork_mode' }).config.pm2).toEqual({ appName: 'twinkle-api', clusterMode: false });
    const { config, problems } = readConfig({ pm2_env: '{not json', OTEL_SERVICE_NAME: 'svc' });
    expect(problems).toEqual([]);
    expect(config.serviceName).toBe('svc');
    expect(config.pm2).toBeUndefined();
  });
});
