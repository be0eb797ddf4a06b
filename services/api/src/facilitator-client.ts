/**
 * The API's side of the facilitator: x402 v2 `POST /verify` and `POST /settle`, the token it
 * settles (`GET /`), and what became of an authorization (`GET /authorizations/:from/:nonce`).
 * Every call goes through `fetch`, so the agent traces it and propagates the trace.
 */

/** What the facilitator said of a payment before anything is sent. */
export type VerifyOutcome =
  | { readonly kind: 'valid' }
  /** The protocol's reason (`invalid_exact_evm_signature` ...) and the facilitator's message. */
  | { readonly kind: 'invalid'; readonly reason: string; readonly message: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** What the facilitator answered a settlement with. */
export type SettleOutcome =
  | { readonly kind: 'settled' | 'pending'; readonly transaction: string }
  /** `success: false`: the protocol's reason, the facilitator's message, and the transaction when one was mined (and reverted). */
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string; readonly transaction: string | undefined }
  /**
   * No settlement answer. `maybeSent` when the request may have got through: a timeout, a
   * dropped connection, a 5xx other than 503. A 503 (nothing was sent: no RPC endpoint
   * answered before broadcasting, its Redis is down, it has no key) and a refused connection
   * mean nothing was sent.
   */
  | { readonly kind: 'unavailable'; readonly maybeSent: boolean; readonly reason: string };

/** The token and network the facilitator settles on, as x402's requirements name them. */
export interface SettlementTerms {
  /** `eip155:<chain id>` */
  readonly network: string;
  /** The token's address. */
  readonly asset: string;
  /** The token's EIP-712 domain name and version (x402's `extra`). */
  readonly name: string;
  readonly version: string;
}

/** What became of an authorization, as the facilitator's `GET /authorizations/:from/:nonce` says. */
export interface AuthorizationStatus {
  readonly status: 'settled' | 'pending' | 'settling' | 'failed' | 'unused';
  readonly transaction: string | null;
  readonly reason?: string;
}

const STATUSES = new Set<string>(['settled', 'pending', 'settling', 'failed', 'unused']);

type Reply = { readonly answered: true; readonly status: number; readonly body: Record<string, unknown> | undefined } | { readonly answered: false; readonly maybeSent: boolean; readonly reason: string };

async function call(facilitatorUrl: string, path: string, body: unknown, timeoutMs: number): Promise<Reply> {
  let response: Response;
  try {
    response = await fetch(new URL(path, facilitatorUrl), {
      ...(body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') return { answered: false, maybeSent: true, reason: `no answer within ${timeoutMs} ms` };
    const refused = (error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED';
    return { answered: false, maybeSent: !refused, reason: refused ? 'facilitator unreachable' : 'connection to the facilitator lost' };
  }
  const payload = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  return { answered: true, status: response.status, body: typeof payload === 'object' && payload !== null ? payload : undefined };
}

const answeredWith = (reply: Extract<Reply, { answered: true }>): string => `facilitator answered ${reply.status}${typeof reply.body?.error === 'string' ? ` (${reply.body.error})` : ''}`;
const text = (value: unknown, fallback: string): string => (typeof value === 'string' && value !== '' ? value : fallback);

/** Asks the facilitator's `POST /verify` about an x402 `{x402Version, paymentPayload, paymentRequirements}`; nothing is sent to the chain. */
export async function verifyWithFacilitator(facilitatorUrl: string, body: unknown, timeoutMs: number): Promise<VerifyOutcome> {
  const reply = await call(facilitatorUrl, '/verify', body, timeoutMs);
  if (!reply.answered) return { kind: 'unavailable', reason: reply.reason };
  if (reply.status !== 200 || typeof reply.body?.isValid !== 'boolean') return { kind: 'unavailable', reason: answeredWith(reply) };
  if (reply.body.isValid) return { kind: 'valid' };
  return { kind: 'invalid', reason: text(reply.body.invalidReason, 'invalid_payload'), message: text(reply.body.invalidMessage, 'the facilitator refused the payment') };
}

/** Sends an x402 `{x402Version, paymentPayload, paymentRequirements}` to the facilitator's `POST /settle`. */
export async function settleWithFacilitator(facilitatorUrl: string, body: unknown, timeoutMs: number): Promise<SettleOutcome> {
  const reply = await call(facilitatorUrl, '/settle', body, timeoutMs);
  if (!reply.answered) return { kind: 'unavailable', maybeSent: reply.maybeSent, reason: reply.reason };
  const payload = reply.body;
  if (reply.status === 503) return { kind: 'unavailable', maybeSent: false, reason: answeredWith(reply) };
  if ((reply.status !== 200 && reply.status !== 202) || typeof payload?.success !== 'boolean') return { kind: 'unavailable', maybeSent: true, reason: answeredWith(reply) };
  const transaction = typeof payload.transaction === 'string' && payload.transaction !== '' ? payload.transaction : undefined;
  if (payload.success && transaction !== undefined) return { kind: 'settled', transaction };
  if (reply.status === 202 && transaction !== undefined) return { kind: 'pending', transaction };
  return { kind: 'refused', reason: text(payload.errorReason, 'unexpected_settle_error'), message: text(payload.errorMessage, 'settlement failed'), transaction };
}

/** The facilitator's network and token (its `GET /`), or why they cannot be had. */
export async function settlementTerms(facilitatorUrl: string, timeoutMs: number): Promise<SettlementTerms | { readonly unavailable: string }> {
  const reply = await call(facilitatorUrl, '/', undefined, timeoutMs);
  if (!reply.answered) return { unavailable: reply.reason };
  const token = reply.body?.token as Record<string, unknown> | null | undefined;
  const network = reply.body?.network;
  if (reply.status !== 200 || typeof network !== 'string') return { unavailable: answeredWith(reply) };
  if (typeof token?.address !== 'string' || typeof token.name !== 'string' || typeof token.version !== 'string') return { unavailable: 'the facilitator has no token configured' };
  return { network, asset: token.address, name: token.name, version: token.version };
}

/** Asks the facilitator what became of the authorization `nonce` of `payer`; undefined when it does not answer. */
export async function authorizationStatus(facilitatorUrl: string, payer: string, nonce: string, timeoutMs: number): Promise<AuthorizationStatus | undefined> {
  const reply = await call(facilitatorUrl, `/authorizations/${payer}/${nonce}`, undefined, timeoutMs);
  const payload = reply.answered ? reply.body : undefined;
  if (!reply.answered || reply.status !== 200 || typeof payload?.status !== 'string' || !STATUSES.has(payload.status)) return undefined;
  return {
    status: payload.status as AuthorizationStatus['status'],
    transaction: typeof payload.transaction === 'string' ? payload.transaction : null,
    ...(typeof payload.reason === 'string' ? { reason: payload.reason } : {}),
  };
}
