/** What the facilitator answered a settlement with. */
export type SettleOutcome =
  | { readonly kind: 'settled' | 'pending'; readonly transaction: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly transaction: string | undefined }
  /** The facilitator refused the request (4xx): its status and body are passed on. */
  | { readonly kind: 'rejected'; readonly status: 400 | 409 | 422; readonly body: unknown }
  /** No answer: `maybeSent` when the request may have reached it (a timeout, a 5xx). */
  | { readonly kind: 'unavailable'; readonly maybeSent: boolean; readonly reason: string };

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
    return { kind: 'unavailable', maybeSent: timedOut, reason: timedOut ? `no answer within ${timeoutMs} ms` : 'facilitator unreachable' };
  }
  const payload = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.status === 400 || response.status === 409 || response.status === 422) return { kind: 'rejected', status: response.status, body: payload };
  if (!response.ok || payload === undefined) return { kind: 'unavailable', maybeSent: true, reason: `facilitator answered ${response.status}` };
  const transaction = typeof payload.transaction === 'string' ? payload.transaction : undefined;
  if (payload.success === true && transaction !== undefined) return { kind: payload.status === 'pending' ? 'pending' : 'settled', transaction };
  return { kind: 'failed', reason: typeof payload.errorReason === 'string' ? payload.errorReason : 'settlement failed', transaction };
}
