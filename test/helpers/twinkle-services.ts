import { fileURLToPath } from 'node:url';
import { spawnApp, WITH_AGENT, type RunningApp } from './spawn-app.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './services.js';

const API_SERVER = fileURLToPath(new URL('../../services/api/dist/server.js', import.meta.url));
const FACILITATOR_SERVER = fileURLToPath(new URL('../../services/facilitator/dist/server.js', import.meta.url));
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

/** Starts the built API service under the agent against the test Redis and PostgreSQL (override with `env`). */
export function startApi(env: Record<string, string | undefined> = {}): Promise<RunningApp> {
  return spawnApp(API_SERVER, {
    nodeArgs: WITH_AGENT,
    listening: LISTENING,
    env: { OTEL_SERVICE_NAME: 'twinkle-api', REDIS_URL: TEST_REDIS_URL, DATABASE_URL: TEST_DATABASE_URL, ...env },
  });
}

/** Starts the built facilitator under the agent against the test Redis and the given chain. */
export function startFacilitator(env: Record<string, string | undefined> & { RPC_URL: string; FACILITATOR_PRIVATE_KEY?: string }): Promise<RunningApp> {
  return spawnApp(FACILITATOR_SERVER, {
    nodeArgs: WITH_AGENT,
    listening: LISTENING,
    env: { OTEL_SERVICE_NAME: 'twinkle-facilitator', REDIS_URL: TEST_REDIS_URL, ...env },
  });
}

/** POSTs JSON and returns the status, headers and parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: await response.json().catch(() => undefined) };
}

/** GETs JSON and returns the status, headers and parsed body. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await response.json().catch(() => undefined) };
}
