/**
 * `npm start` (scripts/start.ts): both services under the agent on a fresh Anvil chain; its
 * banner says where traces go and whether anything answers there; Ctrl-C stops everything
 * it started and leaves no temporary folder (Anvil's account file included).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/loopback-server.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/services.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs scripts/start.ts until its banner, then Ctrl-C (SIGINT to its process group); resolves
 * with its output. `otlpEndpoint` may use `unused`, a free port none of the others takes.
 */
async function startAndStop(otlpEndpoint: string | ((unused: number) => string), check: (output: string, ports: { api: number; unused: number }) => Promise<void>): Promise<string> {
  const [api, facilitator, anvil, unused] = await freePorts(4);
  const env: Record<string, string | undefined> = { ...process.env, API_PORT: String(api), FACILITATOR_PORT: String(facilitator), ANVIL_PORT: String(anvil), REDIS_URL: TEST_REDIS_URL, DATABASE_URL: TEST_DATABASE_URL, RPC_URL: undefined };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
  env.OTEL_EXPORTER_OTLP_ENDPOINT = typeof otlpEndpoint === 'string' ? otlpEndpoint : otlpEndpoint(unused!);
  const child = spawn(process.execPath, ['scripts/start.ts'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    for (let i = 0; !output.includes('[start] traffic'); i++) {
      if (child.exitCode !== null || i > 600) throw new Error(`no banner: ${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await check(output, { api: api!, unused: unused! });
  } finally {
    process.kill(-child.pid!, 'SIGINT');
  }
  expect(await exited).toBe(0);
  return output;
}

const leftovers = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('twinkle-start-') || name.startsWith('twinkle-anvil-'));

describe('npm start', () => {
  it('says when nothing receives the traces, and points at npm run up', async () => {
    // A port nothing listens on, and that npm start's own services do not take.
    const output = await startAndStop((unused) => `http://127.0.0.1:${unused}`, async (banner, ports) => {
      expect(banner).toContain(`[start] traces       OTLP to http://127.0.0.1:${ports.unused}/v1/traces: nothing answers there (ECONNREFUSED), so spans are dropped; \`npm run up\``);
      expect(await (await fetch(`http://127.0.0.1:${ports.api}/health`)).json()).toMatchObject({ status: 'healthy' });
    });
    expect(output).toMatch(/\[start\] stopped api/);
    expect(output).toContain('[start] stopped anvil');
    expect(leftovers()).toEqual([]);
  });

  it('says a receiver answers when one does, and the spans reach it', async () => {
    const receiver = await startOtlpReceiver();
    try {
      await startAndStop(receiver.url, async (banner, ports) => {
        expect(banner).toContain(`[start] traces       OTLP to ${receiver.url}/v1/traces: a receiver answers there (HTTP 200)`);
        expect((await fetch(`http://127.0.0.1:${ports.api}/payments?limit=1`)).status).toBe(200);
        await expect.poll(() => receiver.spans.some((s) => s.name === 'GET /payments'), { timeout: 10_000 }).toBe(true);
      });
    } finally {
      await receiver.close();
    }
    expect(leftovers()).toEqual([]);
  });
});
