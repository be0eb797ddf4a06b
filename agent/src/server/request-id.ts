import { randomBytes } from 'node:crypto';

/** What an incoming `X-Request-Id` may be: bounded length, safe characters only. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** 16 random hex digits per process: ids stay unique across processes and restarts. */
const PROCESS_PREFIX = randomBytes(8).toString('hex');
let sequence = 0;

/** A new id, `<process prefix>-<sequence>`: unique, and cheaper than a UUID on every request. */
export function generateRequestId(): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `${PROCESS_PREFIX}-${sequence.toString(36)}`;
}

/**
 * The request id of an incoming request: its `X-Request-Id` when that is 1-128 safe
 * characters (letters, digits, `.`, `_`, `:`, `-`), otherwise a new one. A value with
 * control characters, spaces, non-ASCII or excessive length never goes further than here.
 */
export function resolveRequestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_REQUEST_ID.test(header) ? header : generateRequestId();
}

/**
 * The `X-Request-Id` of a request read from `rawHeaders`: `req.headers` is built on
 * first access, and frameworks that read `rawHeaders` (Hono's node-server does) would
 * otherwise pay for it on every request. Repeated headers yield an array, as Node does
 * for them, which `resolveRequestId` refuses.
 */
export function rawRequestIdHeader(rawHeaders: string[], name: string): string | string[] | undefined {
  let found: string | string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const key = rawHeaders[i];
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    found = found === undefined ? rawHeaders[i + 1] : [...[found].flat(), rawHeaders[i + 1]];
  }
  return found;
}
