/** What the facilitator answered a settlement with. */
export type SettleOutcome =
  | { readonly kind: 'settled' | 'pending'; readonly transaction: string }
  /** The tokens did not move (the token refused or reverted; or nothing could be sent). */
  | { readonly kind: 'failed'; readonly reason: string; readonly transaction: string | undefined }
  /** The facilitator refused the request before sending anything (400, 422): its status and body are passed on. */
  | { readonly kind: 'rejected'; readonly status: 400 | 422; readonly body: unknown }
  /** 409: the authorization was used on chain, or another settlement of it is under way. */
  | { readonly kind: 'used'; readonly body: unknown }
  /**
   * No settlement answer. `maybeSent` when the request may have got through: a timeout, a
   * dropped connection, a 5xx other than 503. A 503 (the facilitator could not tell whether
   * the authorization was used, or cannot settle at all) and a refused connection mean
   * nothing was sent.
   */
  | { readonly kind: 'unavailable'; readonly maybeSent: boolean; readonly reason: string };

/** What became of an authorization, as the facilitator's `GET /authorizations/:from/:nonce` says. */
export interface AuthorizationStatus {
  readonly status: 'settled' | 'pending' | 'settling' | 'failed' | 'unused';
  readonly transaction: string | null;
  readonly reason?: string;
}

const STATUSES = new Set<string>(['settled', 'pending', 'settling', 'failed', 'unused']);

/**
 * Sends a settlement to the facilitator's `POST /settle`. The call goes through `fetch`,
 * so the agent traces it and propagates the trace to the facilitator.
 */
export async function settleWithFacilitator(facilitatorUrl: string, body: unknown, timeoutMs: number): Promise<SettleOutcome> {
  let response: Response;
  try {
    response = await fetch(new URL('/settle', facilitatorUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    if (timedOut) return { kind: 'unavailable', maybeSent: true, reason: `no answer within ${timeoutMs} ms` };
    const refused = (error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED';
    return { kind: 'unavailable', maybeSent: !refused, reason: refused ? 'facilitator unreachable' : 'connection to the facilitator lost' };
  }
  const payload = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.status === 400 || response.status === 422) return { kind: 'rejected', status: response.status, body: payload };
  if (response.status === 409) return { kind: 'used', body: payload };
  if (response.status === 503) return { kind: 'unavailable', maybeSent: false, reason: `facilitator answered 503${typeof payload?.error === 'string' ? ` (${payload.error})` : ''}` };
  if (!response.ok || payload === undefined) return { kind: 'unavailable', maybeSent: true, reason: `facilitator answered ${response.status}` };
  const transaction = typeof payload.transaction === 'string' ? payload.transaction : undefined;
  if (payload.success === true && transaction !== undefined) return { kind: payload.status === 'pending' ? 'pending' : 'settled', transaction };
  return { kind: 'failed', reason: typeof payload.errorReason === 'string' ? payload.errorReason : 'settlement failed', transaction };
}

/** Asks the facilitator what became of the authorization `nonce` of `payer`; undefined when it does not answer. */
export async function authorizationStatus(facilitatorUrl: string, payer: string, nonce: string, timeoutMs: number): Promise<AuthorizationStatus | undefined> {
  try {
    const response = await fetch(new URL(`/authorizations/${payer}/${nonce}`, facilitatorUrl), { signal: AbortSignal.timeout(timeoutMs) });
    const payload = (await response.json()) as Record<string, unknown>;
    if (!response.ok || typeof payload.status !== 'string' || !STATUSES.has(payload.status)) return undefined;
    return {
      status: payload.status as AuthorizationStatus['status'],
      transaction: typeof payload.transaction === 'string' ? payload.transaction : null,
      ...(typeof payload.reason === 'string' ? { reason: payload.reason } : {}),
    };
  } catch {
    return undefined;
  }
}
