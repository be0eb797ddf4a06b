/**
 * The access line's level is the one log pipelines expect (pino-http's documented
 * `customLogLevel`): 5xx error (50), 4xx warn (40), the rest info (30); a 5xx line names
 * the class of the error the app's `onError` turned into the response when the agent saw
 * it. `LOG_LEVEL` drops the lines below it, not the access log as a whole.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

let app: RunningApp | undefined;

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

const PATHS = ['/payments/1', '/status/302', '/admin/stats', '/nowhere', '/status/429', '/boom', '/boom-later', '/settle/paywall?outcome=failure', '/status/503'];

/** Requests every path once, in order, each answered before the next. */
async function requestAll(a: RunningApp): Promise<void> {
  for (const path of PATHS) await (await fetch(`${a.url}${path}`, { method: path.startsWith('/settle') ? 'POST' : 'GET', redirect: 'manual' })).arrayBuffer();
}

/** Requests every path once and returns the access lines by path once `expected` are written. */
async function accessLines(a: RunningApp, expected: number): Promise<Map<string, Record<string, unknown>>> {
  await requestAll(a);
  await expect.poll(() => a.jsonLines().filter((l) => l.msg === 'Request completed').length).toBe(expected);
  return new Map(a.jsonLines().filter((l) => l.msg === 'Request completed').map((l) => [String(l.path), l]));
}

describe('the access line', () => {
  it('is info below 400, warn for 4xx and error for 5xx, with the type of the error the app turned into a 500', async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT });
    const lines = await accessLines(app, PATHS.length);
    const levels = Object.fromEntries([...lines].map(([path, l]) => [path, [l.status, l.level]]));
    expect(levels).toEqual({
      '/payments/1': [200, 30],
      '/status/302': [302, 30],
      '/admin/stats': [401, 40],
      '/nowhere': [404, 40],
      '/status/429': [429, 40],
      '/boom': [500, 50],
      '/boom-later': [500, 50],
      '/settle/paywall': [502, 50],
      '/status/503': [503, 50],
    });
    // Thrown while Hono dispatches: the agent sees it without a request context.
    expect(lines.get('/boom')!.err).toEqual({ type: 'Error' });
    // Thrown after an await, with traces off and no logger handed out, nothing carries the
    // request to the error handler: the line has no type. The app's own 502 has no error.
    expect(lines.get('/boom-later')).not.toHaveProperty('err');
    expect(lines.get('/settle/paywall')).not.toHaveProperty('err');
    expect(lines.get('/status/503')).not.toHaveProperty('err');
    for (const path of ['/payments/1', '/admin/stats', '/nowhere']) expect(lines.get(path)).not.toHaveProperty('err');
  });

  it('names the error thrown after an await when the request runs in a context (traces on)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
      const lines = await accessLines(app, PATHS.length);
      expect(lines.get('/boom-later')).toMatchObject({ level: 50, status: 500, err: { type: 'RangeError' }, trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(lines.get('/boom')).toMatchObject({ level: 50, err: { type: 'Error' } });
    } finally {
      await app?.stop();
      await receiver.close();
    }
  });

  it.each([
    ['warn', ['/admin/stats', '/nowhere', '/status/429', '/boom', '/boom-later', '/settle/paywall', '/status/503']],
    ['error', ['/boom', '/boom-later', '/settle/paywall', '/status/503']],
  ])('keeps at LOG_LEVEL=%s only the lines at that level or above', async (level, kept) => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { LOG_LEVEL: level } });
    const lines = await accessLines(app, kept.length);
    expect([...lines.keys()]).toEqual(kept);
  });

  it('is not written at LOG_LEVEL=fatal', async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { LOG_LEVEL: 'fatal' } });
    await requestAll(app);
    // Lines still waiting in the agent's buffer are written when the process ends.
    await app.stop();
    expect(app.jsonLines()).toEqual([]);
  });
});
