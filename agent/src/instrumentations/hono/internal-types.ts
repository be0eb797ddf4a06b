/*
 * Vendored shapes of Hono 4 internals the instrumentation touches; Hono itself is
 * never imported at run time. Source:
 * https://github.com/honojs/hono/blob/v4.9.0/src/hono-base.ts and src/router.ts
 */

/** A registered route (`RouterRoute` in hono/src/types.ts). */
export interface HonoRouterRoute {
  basePath: string;
  path: string;
  method: string;
  handler: HonoHandler;
}

/** Any handler or middleware. `app.route()` wraps a sub-app's handler and keeps the original under COMPOSED_HANDLER. */
export type HonoHandler = ((...args: unknown[]) => unknown) & { [COMPOSED_HANDLER]?: HonoHandler };

/** `COMPOSED_HANDLER` in hono/src/utils/constants.ts. */
export const COMPOSED_HANDLER = '__COMPOSED_HANDLER';

/** One entry of a router's match result: `[[handler, routerRoute], params]`. */
export type HonoMatchEntry = [[HonoHandler, HonoRouterRoute], unknown];

/** What `Router.match(method, path)` returns: entries first, parameter stash second. */
export type HonoMatchResult = [HonoMatchEntry[], unknown?];

/** The router object of an app (`app.router`). Hono's routers replace their own `match` after the first call. */
export interface HonoRouter {
  match: (method: string, path: string) => HonoMatchResult;
}

/** `ErrorHandler` in hono/src/types.ts: `app.onError(handler)` stores it as `app.errorHandler`. */
export type HonoErrorHandler = (this: unknown, err: unknown, c: unknown) => unknown;

/** The parts of a Hono app the instrumentation patches. */
export interface HonoApp {
  router: HonoRouter;
  routes: HonoRouterRoute[];
  use: (...args: unknown[]) => HonoApp;
  errorHandler: HonoErrorHandler;
}

/** `HonoBase` as seen from the `hono` module's exports. */
export interface HonoClass {
  new (...args: unknown[]): HonoApp;
  prototype: HonoApp & { basePath?: (path: string) => HonoApp };
}

/** The `hono` module's exports (ESM namespace or CommonJS exports). */
export interface HonoModule {
  Hono: HonoClass;
}
