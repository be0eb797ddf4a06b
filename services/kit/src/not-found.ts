import type { NotFoundHandler } from 'hono';

/**
 * The services' `app.notFound`: an unknown route answers 404 `{"error": "not found"}` as JSON,
 * like every other error, keeping the headers a middleware set (the rate limit's).
 */
export const jsonNotFound: NotFoundHandler = (c) => c.json({ error: 'not found' }, 404);
