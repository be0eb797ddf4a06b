import { randomUUID } from 'node:crypto';

/** What an incoming `X-Request-Id` may be: bounded length, safe characters only. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of an incoming request: its `X-Request-Id` when that is 1-128 safe
 * characters (letters, digits, `.`, `_`, `:`, `-`), otherwise a new UUID. A value with
 * control characters, spaces, non-ASCII or excessive length never goes further than here.
 */
export function resolveRequestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_REQUEST_ID.test(header) ? header : randomUUID();
}
