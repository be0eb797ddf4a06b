import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';

/**
 * The request's JSON body as an object, or a 400 naming what is wrong: not JSON, or
 * JSON that is not an object.
 */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw badRequest('malformed JSON body');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  const bad = findInvalidText(body, '');
  if (bad !== undefined) throw badRequest(`${bad} must be text without NUL characters or unpaired UTF-16 surrogates`, bad);
  return body as Record<string, unknown>;
}

/** U+0000, a high surrogate not followed by a low one, or a low one not preceded by a high one. */
const INVALID_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The path (`memo`, `authorization.nonce`, `items[2]`) of the first string in `value`, key or
 * value, holding U+0000 or a lone surrogate (`"\ud800"` is valid JSON): PostgreSQL's text
 * refuses the one and UTF-8 cannot carry the other, so no such string goes further.
 */
function findInvalidText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return INVALID_TEXT.test(value) ? path || '(body)' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    if (INVALID_TEXT.test(key)) return at;
    const found = findInvalidText(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A 400 answered as `{"error": reason, "field"?: field}`; `reason` and `field` stay readable for callers that answer otherwise. */
export class BadRequest extends HTTPException {
  constructor(
    readonly reason: string,
    readonly field?: string,
  ) {
    super(400, { message: reason, res: Response.json(field === undefined ? { error: reason } : { error: reason, field }, { status: 400 }) });
  }
}

/** A 400 answered as `{"error": reason, "field"?: field}`. */
export function badRequest(reason: string, field?: string): BadRequest {
  return new BadRequest(reason, field);
}
