import { COMPOSED_HANDLER, type HonoHandler, type HonoMatchResult } from './internal-types.js';

const middlewares = new WeakSet<HonoHandler>();

/** Remembers a handler registered with `app.use()`, so it is never taken for the route. */
export function markMiddleware(handler: unknown): void {
  if (typeof handler === 'function') middlewares.add(handler as HonoHandler);
}

function isMiddleware(handler: HonoHandler): boolean {
  return middlewares.has(handler[COMPOSED_HANDLER] ?? handler);
}

function isCatchAll(path: string): boolean {
  return path === '*' || path === '/*';
}

/**
 * The route template of a match: the pattern of the last matched route handler (the
 * one that answers), with sub-app prefixes already merged in by Hono; if only
 * middleware matched, the most specific middleware pattern that is not a catch-all
 * (`/static/*`); `undefined` when nothing but catch-alls matched, i.e. no route.
 * Reads the match, not which handler ran, so a middleware that short-circuits (401)
 * still reports the route it guarded.
 */
export function resolveRouteName(result: HonoMatchResult): string | undefined {
  const entries = result[0];
  let fallback: string | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const [handler, route] = entries[i][0];
    if (!isMiddleware(handler)) return route.path;
    if (fallback === undefined && !isCatchAll(route.path)) fallback = route.path;
  }
  return fallback;
}
