/**
 * The agent in a process whose stdout is not a healthy stream: a pipe whose reader went
 * away, /dev/full, a full pipe nobody reads, a stdout the app closed, and the app's own
 * pino with an asynchronous destination on a broken pipe. The job under test ends on
 * its own with exit code 3; under the agent it must end with the same code, as soon
 * after its work as without the agent, with no unhandled error, and the agent must say
 * once (on stderr) that it stopped writing to stdout.
 */
import { openSync, closeSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { closedPipe, fullPipe, runScript, type ScriptRun, type TestPipe } from '../helpers/run-script.js';
import { spawnApp, WITH_AGENT } from '../helpers/spawn-app.js';

/** Runs the job with and without the agent, each with a stdout of its own from `makeStdout`. */
async function both(makeStdout: () => { fd: number; close(): void }, env: Record<string, string> = {}): Promise<{ agent: ScriptRun; bare: ScriptRun }> {
  const run = async (nodeArgs: string[]): Promise<ScriptRun> => {
    const stdout = makeStdout();
    try {
      return await runScript('host-job.mjs', { nodeArgs, stdout: stdout.fd, env, timeoutMs: 20_000 });
    } finally {
      stdout.close();
    }
  };
  const bare = await run([]);
  const agent = await run(WITH_AGENT);
  return { agent, bare };
}

const fromPipe = (make: () => TestPipe) => () => {
  const pipe = make();
  return { fd: pipe.writeFd, close: () => pipe.close() };
};
const devFull = () => {
  const fd = openSync('/dev/full', 'w');
  return { fd, close: () => closeSync(fd) };
};

/** What a host must never see: an error thrown at it, or a warning of Node's about a stream. */
const UNHANDLED = /Unhandled 'error' event|Error: write|Uncaught|Warning:/;

function expectSameEnd({ agent, bare }: { agent: ScriptRun; bare: ScriptRun }): void {
  expect(bare.code).toBe(3);
  expect(agent.code).toBe(bare.code);
  expect(agent.signal).toBe(bare.signal);
  expect(agent.stderr).not.toMatch(UNHANDLED);
  expect(agent.doneToExitMs).toBeDefined();
  // As soon after its work as without the agent (its start-up aside).
  expect(agent.doneToExitMs!).toBeLessThan(bare.doneToExitMs! + 100);
}

/** The agent's warnings on stderr. */
function agentWarnings(run: ScriptRun): string[] {
  return run.stderr
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"name":"@twinkle/agent"'))
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.level === 40)
    .map((l) => l.msg);
}

describe('a job under the agent whose stdout is broken', () => {
  it('ends with its own code and time when stdout is a pipe whose reader went away (EPIPE), and says so once', async () => {
    const runs = await both(fromPipe(closedPipe));
    expectSameEnd(runs);
    expect(agentWarnings(runs.agent)).toEqual(['writing to stdout failed (EPIPE); the agent writes nothing more there']);
  });

  it('ends with its own code and time when stdout is /dev/full (ENOSPC), and says so once', async () => {
    const runs = await both(devFull);
    expectSameEnd(runs);
    expect(agentWarnings(runs.agent)).toEqual(['writing to stdout failed (ENOSPC); the agent writes nothing more there']);
  });

  it('ends with its own code and time when stdout is a full pipe nobody reads, and says what it could not write', async () => {
    const runs = await both(fromPipe(fullPipe));
    expectSameEnd(runs);
    expect(agentWarnings(runs.agent)).toEqual([expect.stringMatching(/^stdout: 0 line\(s\) dropped and \d+ byte\(s\) not written by exit \(nothing read it\)$/)]);
  });

  it('ends with its own code and time when the app closed its stdout (EBADF), and says so once', async () => {
    const runs = await both(fromPipe(closedPipe), { FIXTURE_STDOUT: 'close' });
    expectSameEnd(runs);
    expect(agentWarnings(runs.agent)).toEqual(['writing to stdout failed (EBADF); the agent writes nothing more there']);
  });

  it("ends with its own code and time when the app's own asynchronous pino destination meets a broken pipe", async () => {
    const runs = await both(fromPipe(closedPipe), { FIXTURE_STDOUT: 'pino-async' });
    expectSameEnd(runs);
    expect(agentWarnings(runs.agent)).toEqual(['writing to stdout failed (EPIPE); the agent writes nothing more there']);
  });

  it('writes its access lines to a healthy stdout, all of them, before the job ends', async () => {
    const run = await runScript('host-job.mjs', { nodeArgs: WITH_AGENT });
    expect(run.code).toBe(3);
    const lines = run.stdout.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; path: string });
    expect(lines.map((l) => l.path)).toEqual(Array.from({ length: 20 }, (_, i) => `/work/${i}`));
    expect(agentWarnings(run)).toEqual([]);
  });

  it('writes the access lines that wait when a signal ends a process that has no handler of its own', async () => {
    const app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { FIXTURE_NO_SIGTERM_HANDLER: '1' } });
    for (let i = 0; i < 3; i++) await (await fetch(`${app.url}/payments/${i}`)).arrayBuffer();
    // At once: the lines wait up to 100 ms in the agent's sink.
    const { signal } = await app.stop('SIGTERM');
    expect(signal).toBe('SIGTERM');
    expect(app.jsonLines().filter((l) => l.msg === 'Request completed').map((l) => l.path)).toEqual(['/payments/0', '/payments/1', '/payments/2']);
  });

  it('a second SIGTERM while the agent flushes (a supervisor and its process group both signal) leaves the flush its bound: the app still serves, every line is written, it ends by SIGTERM', async () => {
    // Spans go to a receiver that never answers, so the flush SIGTERM starts lasts its 5 s bound;
    // metrics are pushed only by that flush, so their arrival says the flush is under way.
    const receiver = await startOtlpReceiver({ hang: true });
    try {
      const app = await spawnApp('app.mjs', {
        nodeArgs: WITH_AGENT,
        env: {
          FIXTURE_NO_SIGTERM_HANDLER: '1',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_METRICS_EXPORTER: 'otlp',
          OTEL_METRIC_EXPORT_INTERVAL: '600000',
        },
      });
      await (await fetch(`${app.url}/payments/1`)).arrayBuffer();
      app.child.kill('SIGTERM');
      await vi.waitFor(() => expect(receiver.metricExports.length).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
      // Before, the agent's listener was gone once the first signal came: this one took Node's default action.
      app.child.kill('SIGTERM');
      const during = await fetch(`${app.url}/payments/2`).catch((err: unknown) => {
        throw new Error(`${String(err)}; exit ${app.child.exitCode} ${app.child.signalCode}; stderr: ${app.stderr()}`);
      });
      expect(during.status).toBe(200);
      await during.arrayBuffer();
      const { signal } = await app.stop('SIGTERM');
      expect(signal).toBe('SIGTERM');
      expect(app.jsonLines().filter((l) => l.msg === 'Request completed').map((l) => l.path)).toEqual(['/payments/1', '/payments/2']);
      // The start line names where metrics go when they are pushed.
      expect(app.stderr()).toContain(`agent started: metrics otlp ${receiver.url}/v1/metrics, traces otlp ${receiver.url}/v1/traces`);
    } finally {
      await receiver.close();
    }
  }, 30_000);
});

