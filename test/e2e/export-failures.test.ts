import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sendRequests } from '../helpers/load.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { freePort } from '../helpers/loopback-server.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

let app: RunningApp | undefined;
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await app?.stop();
  await receiver?.close();
  app = undefined;
  receiver = undefined;
});


const rssMb = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const warnings = (a: RunningApp): string[] => a.jsonLines().filter((l) => l.level === 40).map((l) => String(l.msg));

describe('an OTLP endpoint that fails', () => {
  it('refusing connections: every request is served and one warning is logged', async () => {
    const port = await freePort();
    app = await spawnApp('app.mjs', {
      nodeArgs: WITH_AGENT,
      // The exporter retries a refused connection until its timeout; keep that short.
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' },
    });
    const statuses = await sendRequests((i) => `${app!.url}/payments/${i}`, 3000, 32);
    expect(statuses.get(200)).toBe(3000);
    // Several batch intervals pass, each with a failed export.
    await new Promise((r) => setTimeout(r, 3500));
    await sendRequests((i) => `${app!.url}/payments/${i}`, 200, 8);
    await new Promise((r) => setTimeout(r, 1500));
    const w = warnings(app);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(new RegExp(`^span export to http://127\\.0\\.0\\.1:${port}/v1/traces failed: .*; spans are dropped while it fails \\(not logged again\\)$`));
  });

  it('accepting and never answering: every request is served, memory stays bounded, one warning', async () => {
    // The same load against a receiver that answers, as the control for memory: a
    // process under load grows its heap either way; a queue that kept every span
    // would add ~1 KB a span on top (30 MB for these 30,000).
    const control = await startOtlpReceiver();
    receiver = await startOtlpReceiver({ hang: true });
    const env = (url: string) => ({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: url,
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    });
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: env(receiver.url) });
    const ok = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { ...env(control.url), LOG_LEVEL: 'warn' } });
    try {
      const [hung, answered] = await Promise.all([
        sendRequests((i) => `${app!.url}/payments/${i}`, 30_000, 32),
        sendRequests((i) => `${ok.url}/payments/${i}`, 30_000, 32),
      ]);
      expect(hung.get(200)).toBe(30_000);
      expect(answered.get(200)).toBe(30_000);
      await new Promise((r) => setTimeout(r, 2500));
      expect(rssMb(app.child.pid!) - rssMb(ok.child.pid!)).toBeLessThan(50);
    } finally {
      await ok.stop();
      await control.close();
    }
    const w = warnings(app);
    // One line for the whole problem: hung exports and the bounded queue overflowing.
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^span export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: .*; spans are dropped while it fails \(not logged again\)$/);
    expect(receiver.requests).toBeGreaterThan(0);
  });
});

describe('log configuration', () => {
  it('says LOG_LEVEL=loud is not a level, once, and logs at info', async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { LOG_LEVEL: 'loud' } });
    await (await fetch(`${app.url}/payments/1`)).text();
    await expect.poll(() => app!.jsonLines().some((l) => l.msg === 'Request completed'), { timeout: 5000 }).toBe(true);
    expect(warnings(app)).toEqual([
      'LOG_LEVEL="loud" is not valid (accepted: trace, debug, info, warn, error, fatal, silent); using info',
    ]);
  });

  it('keeps stdout clean with LOG_DESTINATION=stderr', async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { LOG_DESTINATION: 'stderr' } });
    await (await fetch(`${app.url}/payments/1`)).text();
    await expect.poll(() => app!.stderr().includes('"msg":"Request completed"'), { timeout: 5000 }).toBe(true);
    expect(app.stderr()).toContain('"msg":"agent started');
    expect(app.stdoutLines()).toEqual([]);
  });

  it('writes nothing below LOG_LEVEL', async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { LOG_LEVEL: 'warn' } });
    await (await fetch(`${app.url}/payments/1`)).text();
    await new Promise((r) => setTimeout(r, 300));
    expect(app.stdoutLines()).toEqual([]);
  });
});
