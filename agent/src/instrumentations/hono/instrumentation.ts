import { context } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { requestInDispatch } from '../../server/request-state.js';
import { VERSION } from '../../version.js';
import type { HonoApp, HonoClass, HonoErrorHandler, HonoMatchResult, HonoModule, HonoRouter } from './internal-types.js';
import { markMiddleware, resolveRouteName } from './route.js';
import type { HonoInstrumentationConfig } from './types.js';

const patchedApps = new WeakSet<object>();
const patchedRouters = new WeakSet<object>();
const ORIGINAL = Symbol('twinkle.hono.original');

/**
 * Gives the registered Hono route template (`/v1/items/:id`) to whatever owns the
 * request's SERVER span, through OpenTelemetry's RPC metadata on the active context:
 * the agent's own server instrumentation, or instrumentation-http. It reads the
 * router's match, so it costs one small lookup per request and wraps no handler; the
 * app's `onError` and `notFound` are untouched.
 */
export class HonoInstrumentation extends InstrumentationBase<HonoInstrumentationConfig> {
  constructor(config: HonoInstrumentationConfig = {}) {
    super('@twinkle/agent/instrumentation-hono', VERSION, config);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      'hono',
      ['>=4.0.0 <5'],
      (moduleExports: HonoModule) => this._patchModule(moduleExports),
      (moduleExports: HonoModule) => this._unpatchModule(moduleExports),
    );
  }

  private _patchModule(moduleExports: HonoModule): HonoModule {
    const Original = moduleExports?.Hono;
    if (typeof Original !== 'function' || (Original as { [ORIGINAL]?: HonoClass })[ORIGINAL]) return moduleExports;
    const instrumentation = this;
    // A subclass, so apps created from the module's export are patched at construction.
    const Patched = class Hono extends Original {
      constructor(...args: unknown[]) {
        super(...args);
        instrumentation._patchApp(this);
      }
    };
    Object.defineProperty(Patched, ORIGINAL, { value: Original });
    // `basePath()` (and `route()` through it) clone apps with the base class: patch those too.
    const base = Object.getPrototypeOf(Original.prototype) as { basePath: (path: string) => HonoApp };
    if (typeof base.basePath === 'function' && !isWrapped(base.basePath)) {
      this._wrap(base, 'basePath', (original: (path: string) => HonoApp) =>
        function basePath(this: HonoApp, path: string) {
          const clone = original.call(this, path);
          instrumentation._patchApp(clone);
          return clone;
        },
      );
    }
    moduleExports.Hono = Patched as unknown as HonoClass;
    return moduleExports;
  }

  private _unpatchModule(moduleExports: HonoModule): void {
    const Original = (moduleExports?.Hono as { [ORIGINAL]?: HonoClass })?.[ORIGINAL];
    if (!Original) return;
    const base = Object.getPrototypeOf(Original.prototype) as { basePath?: unknown };
    if (isWrapped(base.basePath)) this._unwrap(base as { basePath: () => unknown }, 'basePath');
    moduleExports.Hono = Original;
  }

  /** Patches one app (or clone) once. Only exported through the class for tests. */
  _patchApp(app: HonoApp): void {
    if (patchedApps.has(app)) return;
    patchedApps.add(app);
    try {
      const use = app.use;
      if (typeof use === 'function') {
        app.use = function twinkleUse(this: unknown, ...args: unknown[]) {
          for (const arg of args) markMiddleware(arg);
          return use.apply(this, args);
        };
      }
      if (app.router) this._patchRouter(app.router, app);
      this._patchErrorHandler(app);
    } catch (err) {
      this._diag.error('could not instrument a Hono app; its routes are reported as unmatched', err);
    }
  }

  private _patchRouter(router: HonoRouter, app: HonoApp): void {
    if (patchedRouters.has(router)) return;
    patchedRouters.add(router);
    const instrumentation = this;
    let current = router.match;
    let checked = false;
    const match = function twinkleRouterMatch(this: unknown, method: string, path: string): HonoMatchResult {
      const result = current.call(router, method, path);
      if (!checked) {
        checked = true;
        instrumentation._checkReservedRoutes(app);
      }
      if (instrumentation.isEnabled()) instrumentation._assignRoute(result);
      return result;
    };
    // Hono's routers replace `match` on themselves after the first call (SmartRouter picks
    // a router, RegExpRouter builds its matchers): keep the wrapper in front of each one.
    Object.defineProperty(router, 'match', {
      configurable: true,
      enumerable: true,
      get: () => match,
      set: (next: HonoRouter['match']) => {
        current = next;
      },
    });
  }

  /**
   * Lets the error an app's `onError` (or Hono's default handler) turns into a response
   * reach the request's metadata, so a 5xx can be reported with its real error. The
   * handler still gets every error, unchanged.
   */
  private _patchErrorHandler(app: HonoApp): void {
    const descriptor = Object.getOwnPropertyDescriptor(app, 'errorHandler');
    if (descriptor === undefined || !('value' in descriptor) || typeof descriptor.value !== 'function') return;
    let handler = descriptor.value as HonoErrorHandler;
    const wrapped: HonoErrorHandler = function twinkleErrorHandler(this: unknown, err, c) {
      // Without a request context (traces, Sentry and getLogger() all off), an error thrown
      // synchronously is still handled inside the server's request event.
      const metadata = (getRPCMetadata(context.active()) ?? requestInDispatch()) as { error?: unknown } | undefined;
      if (metadata !== undefined && metadata.error === undefined) metadata.error = err;
      return handler.call(this, err, c);
    };
    Object.defineProperty(app, 'errorHandler', {
      configurable: true,
      enumerable: true,
      // Outside a request, Hono compares errorHandler with its default (app.route()
      // decides from it whether a sub-app has an onError of its own): there it must see
      // the handler itself, or every sub-app would seem to have one. Hono reads it at
      // dispatch, synchronously inside the server's request event.
      get: () => (requestInDispatch() !== undefined || getRPCMetadata(context.active()) !== undefined ? wrapped : handler),
      set: (next: HonoErrorHandler) => {
        handler = next;
      },
    });
  }

  private _assignRoute(result: HonoMatchResult): void {
    // The request being dispatched (Hono matches synchronously inside the server's
    // request event), else the active context's (an app called outside that event).
    const metadata = (requestInDispatch() ?? getRPCMetadata(context.active())) as { route?: string } | undefined;
    // The first app to match owns the route: a Hono app mounted inside another must not
    // overwrite the outer template with its own shorter one.
    if (metadata === undefined || metadata.route !== undefined) return;
    try {
      const route = resolveRouteName(result);
      if (route !== undefined) metadata.route = route;
    } catch (err) {
      this._diag.error('could not resolve a Hono route', err);
    }
  }

  private _checkReservedRoutes(app: HonoApp): void {
    const { reservedPaths = [], onReservedRoute } = this.getConfig();
    if (!onReservedRoute) return;
    for (const route of app.routes ?? []) {
      if (reservedPaths.includes(route.path) && (route.method === 'GET' || route.method === 'ALL'))
        onReservedRoute(route.method, route.path);
    }
  }
}
