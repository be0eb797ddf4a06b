/**
 * Below the Node floor (22.15) the agent says so in one line on stderr and stays off: the
 * app runs as it runs without it. Run on the machine's own older Node (Debian's Node 20
 * here; see test/helpers/old-node.ts), under `--import` and `--require`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_FLOOR } from '../../agent/src/node-floor.js';
import { findOldNode } from '../helpers/old-node.js';
import { spawnApp, type RunningApp } from '../helpers/spawn-app.js';

const old = findOldNode();
let app: RunningApp | undefined;

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe(`the agent on ${old.version} (${old.path}), below its floor`, () => {
  it.each([['--import'], ['--require']])('says so in one stderr line and stays off under %s: the app answers, nothing else of the agent', async (flag) => {
    app = await spawnApp('app.mjs', { node: old.path, nodeArgs: [flag, '@twinkle/agent'] });
    const res = await fetch(`${app.url}/payments/1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '1' });
    // Nothing patched: no request id, no /metrics, Hono's own functions.
    expect(res.headers.get('x-request-id')).toBeNull();
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    expect(await (await fetch(`${app.url}/__introspect`)).json()).toEqual({ emitPatched: false, useWrapped: false });
    const { code } = await app.stop();
    expect(code).toBe(0);
    expect(app.stdoutLines()).toEqual([]);
    const stderr = app.stderr().split('\n').filter(Boolean);
    expect(stderr.filter((l) => !l.startsWith('LISTENING '))).toHaveLength(1);
    const [line] = app.agentLines();
    expect(line).toMatchObject({ level: 40, name: '@twinkle/agent', pid: app.child.pid });
    expect(line.msg).toBe(
      `Node ${old.version} is older than the agent supports (>= ${NODE_FLOOR}): the agent stays off and the app runs without it (TWINKLE_ALLOW_UNSUPPORTED_NODE=true starts it anyway)`,
    );
  });

  it('writes that line nowhere with TWINKLE_DIAGNOSTICS=off', async () => {
    app = await spawnApp('app.mjs', { node: old.path, nodeArgs: ['--import', '@twinkle/agent'], env: { TWINKLE_DIAGNOSTICS: 'off' } });
    expect((await fetch(`${app.url}/payments/1`)).status).toBe(200);
    await app.stop();
    expect(app.stderr().split('\n').filter(Boolean)).toEqual([`LISTENING ${app.port}`]);
    expect(app.stdoutLines()).toEqual([]);
  });

  it('starts anyway with TWINKLE_ALLOW_UNSUPPORTED_NODE=true, and says that too', async () => {
    app = await spawnApp('app.mjs', { node: old.path, nodeArgs: ['--import', '@twinkle/agent'], env: { TWINKLE_ALLOW_UNSUPPORTED_NODE: 'true' } });
    const res = await fetch(`${app.url}/payments/1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).not.toBeNull();
    expect(await (await fetch(`${app.url}/metrics`)).text()).toContain('http_requests_total{method="GET",route="/payments/:id",status_code="200"} 1');
    await expect.poll(() => app!.jsonLines().some((l) => l.msg === 'Request completed')).toBe(true);
    expect(app.agentLines().map((l) => l.msg)).toEqual([
      `Node ${old.version} is older than the agent supports (>= ${NODE_FLOOR}); starting anyway because TWINKLE_ALLOW_UNSUPPORTED_NODE=true`,
      expect.stringMatching(/^agent started: /),
    ]);
  });
});
