import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * OpenTelemetry's AsyncLocalStorage context manager, plus one way in for the server's
 * `request` event: `context.with(ctx, fn, thisArg, ...args)` binds `fn` to `thisArg` and
 * spreads its arguments twice on every call; this enters the context and calls the
 * emitter as it is, the way `AsyncLocalStorage.run` does inside.
 */
export class RequestContextManager extends AsyncLocalStorageContextManager {
  /** The manager's own storage (a TypeScript-private field of the base class). */
  private get storage(): AsyncLocalStorage<Context> {
    return (this as unknown as { _asyncLocalStorage: AsyncLocalStorage<Context> })._asyncLocalStorage;
  }

  /** Calls `emit.call(server, event, req, res)` with `ctx` active. */
  emitIn<S, Q, R>(
    ctx: Context,
    emit: (this: S, event: string | symbol, req: Q, res: R) => boolean,
    server: S,
    event: string | symbol,
    req: Q,
    res: R,
  ): boolean {
    const storage = this.storage;
    const prior = storage.getStore();
    storage.enterWith(ctx);
    try {
      return emit.call(server, event, req, res);
    } finally {
      storage.enterWith(prior as Context);
    }
  }
}
