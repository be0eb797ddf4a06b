import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';

/** An error meaning a dependency is unavailable: answered 503 `{"error": answer}`, logged as `log`. */
export interface UnavailableDependency {
  readonly error: abstract new (...args: never[]) => Error;
  readonly answer: string;
  readonly log: string;
}

/**
 * The services' `app.onError`: an `HTTPException` answers as it was built (400, 404, ...),
 * keeping the headers a middleware set before it was thrown (the rate limit's);
 * an error of an unavailable dependency answers 503 with a short reason (the cause goes to
 * the log only); anything else is a 500 `{"error": "internal error"}`.
 */
export function jsonErrorHandler(log: Logger, unavailable: readonly UnavailableDependency[]): ErrorHandler {
  return (error, c) => {
    if (error instanceof HTTPException) {
      // getResponse() alone is a new Response without the context's headers (X-RateLimit-*).
      const answer = error.getResponse();
      return c.newResponse(answer.body, answer);
    }
    const dependency = unavailable.find((candidate) => error instanceof candidate.error);
    if (dependency !== undefined) {
      log.error({ err: error.cause }, dependency.log);
      return c.json({ error: dependency.answer }, 503);
    }
    log.error({ err: error }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  };
}
