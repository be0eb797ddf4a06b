import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { RPCType, setRPCMetadata, type RPCMetadata } from '@opentelemetry/core';
import * as hono from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { HonoInstrumentation } from '../../../../agent/src/instrumentations/hono/index.js';

type HonoCtor = typeof hono.Hono;
let Hono: HonoCtor;
const reserved: string[] = [];

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const instrumentation = new HonoInstrumentation({
    reservedPaths: ['/metrics'],
    onReservedRoute: (method, path) => reserved.push(`${method} ${path}`),
  });
  const patched = (instrumentation as unknown as { _patchModule(m: { Hono: HonoCtor }): { Hono: HonoCtor } })._patchModule({
    Hono: hono.Hono,
  });
  Hono = patched.Hono;
});

/** Runs one request through `app` the way the server instrumentation does and returns the route it was given. */
async function routeOf(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, path: string, init?: RequestInit) {
  const metadata = { type: RPCType.HTTP, span: undefined, route: undefined as string | undefined };
  const res = await context.with(setRPCMetadata(ROOT_CONTEXT, metadata as unknown as RPCMetadata), () => app.request(path, init));
  await res.arrayBuffer();
  return { route: metadata.route, status: res.status };
}

describe('HonoInstrumentation', () => {
  it('gives the registered pattern of a single-handler route', async () => {
    const app = new Hono().get('/items/:id', (c) => c.text('x'));
    expect(await routeOf(app, '/items/9')).toEqual({ route: '/items/:id', status: 200 });
  });

  it('includes the prefixes of nested sub-apps', async () => {
    const leaf = new Hono().get('/x/:id', (c) => c.text('x'));
    const mid = new Hono().route('/b', leaf);
    const app = new Hono().route('/a', mid);
    expect(await routeOf(app, '/a/b/x/1')).toEqual({ route: '/a/b/x/:id', status: 200 });
  });

  it('resolves routes of a sub-app that has its own onError', async () => {
    const sub = new Hono().get('/fail/:n', () => {
      throw new Error('x');
    });
    sub.onError((_err, c) => c.text('sub handled', 503));
    const app = new Hono().route('/v1', sub);
    expect(await routeOf(app, '/v1/fail/1')).toEqual({ route: '/v1/fail/:n', status: 503 });
  });

  it('resolves routes of apps cloned by basePath()', async () => {
    const api = new Hono().basePath('/api');
    api.use('*', async (_c, next) => next());
    api.get('/users/:id', (c) => c.text('u'));
    expect(await routeOf(api, '/api/users/3')).toEqual({ route: '/api/users/:id', status: 200 });
  });

  it('falls back to the matched handler when a middleware short-circuits', async () => {
    const app = new Hono();
    app.use('/admin/*', async (c) => c.text('no', 401));
    app.get('/admin/users/:id', (c) => c.text('ok'));
    expect(await routeOf(app, '/admin/users/1')).toEqual({ route: '/admin/users/:id', status: 401 });
  });

  it('reports the middleware pattern when only a non-catch-all middleware answered', async () => {
    const app = new Hono();
    app.use('*', async (_c, next) => next());
    app.use('/static/*', async (c) => c.text('file'));
    expect(await routeOf(app, '/static/a/b.css')).toEqual({ route: '/static/*', status: 200 });
  });

  it('gives no route when only catch-all middleware matched', async () => {
    const app = new Hono();
    app.use('*', async (_c, next) => next());
    app.use(async (_c, next) => next());
    app.get('/known', (c) => c.text('k'));
    expect(await routeOf(app, '/unknown/123')).toEqual({ route: undefined, status: 404 });
  });

  it('takes app.all() routes for routes, not middleware', async () => {
    const app = new Hono().all('/any/:x', (c) => c.text('a'));
    expect(await routeOf(app, '/any/1', { method: 'DELETE' })).toEqual({ route: '/any/:x', status: 200 });
  });

  it('uses the GET route for HEAD', async () => {
    const app = new Hono().get('/h/:id', (c) => c.text('h'));
    expect(await routeOf(app, '/h/1', { method: 'HEAD' })).toEqual({ route: '/h/:id', status: 200 });
  });

  it('keeps the outer template when a Hono app is mounted inside another', async () => {
    const inner = new Hono().get('/deep/:id', (c) => c.text('d'));
    const app = new Hono();
    app.mount('/m', inner.fetch);
    expect(await routeOf(app, '/m/deep/1')).toEqual({ route: '/m/*', status: 200 });
  });

  it('does nothing outside a request context', async () => {
    const app = new Hono().get('/plain', (c) => c.text('p'));
    const res = await app.request('/plain');
    expect(await res.text()).toBe('p');
  });

  it('reports an app route at a reserved path once', async () => {
    const app = new Hono().get('/metrics', (c) => c.text('m')).get('/other', (c) => c.text('o'));
    await routeOf(app, '/other');
    await routeOf(app, '/other');
    expect(reserved).toEqual(['GET /metrics']);
  });
});
