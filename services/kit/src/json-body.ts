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
  return body as Record<string, unknown>;
}

/** A 400 answered as `{"error": reason, "field"?: field}`. */
export function badRequest(reason: string, field?: string): HTTPException {
  return new HTTPException(400, { res: Response.json(field === undefined ? { error: reason } : { error: reason, field }, { status: 400 }) });
}
