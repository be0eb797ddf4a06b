import type { Logger } from 'pino';
import { TransactionNotFoundError, TransactionReceiptNotFoundError, type Hex, type PublicClient } from 'viem';
import type { PaymentAuthorization } from './authorization.js';
import type { AuthorizationClaims, ClaimRecord } from './authorization-claims.js';
import type { Eip3009Token } from './eip3009-token.js';

/**
 * What became of an authorization, as `GET /authorizations/:from/:nonce` answers:
 * - `settled`: the token used it (`transaction` is the one that did, when found);
 * - `pending`: a transaction using it is waiting to be mined;
 * - `settling`: a settlement here claimed it moments ago and has not broadcast yet;
 * - `failed`: the facilitator's transaction for it reverted or was dropped; it is unused;
 * - `unused`: nothing was sent and the token has not used it.
 */
export type AuthorizationStatus =
  | { readonly status: 'settled' | 'pending'; readonly transaction: Hex | null }
  | { readonly status: 'failed'; readonly transaction: Hex; readonly reason: string }
  | { readonly status: 'settling' | 'unused'; readonly transaction: null };

export interface AuthorizationStatusOptions {
  readonly client: PublicClient;
  readonly token: Eip3009Token;
  readonly claims: AuthorizationClaims;
  /** How long a settlement may hold a claim before broadcasting; an older bare claim belonged to a settlement that died. */
  readonly inFlightMs: number;
  readonly log: Logger;
}

/**
 * Finds what became of an authorization from the chain first (`authorizationState` at the
 * newest block, then with pending transactions, and the `AuthorizationUsed` event for the
 * transaction), and from the claim in Redis for what only the facilitator knows: the hash
 * of a transaction not yet mined, or a settlement still in flight. Without Redis's data the
 * chain's answer stands. A bare claim older than `inFlightMs` with nothing on chain or in
 * the pool is given back, so the payer can retry.
 */
export async function authorizationStatus(authorization: Pick<PaymentAuthorization, 'from' | 'nonce'>, options: AuthorizationStatusOptions): Promise<AuthorizationStatus> {
  const { client, token, claims, log } = options;
  const record: ClaimRecord | undefined = await claims.read(authorization).catch(() => {
    log.warn('Redis unavailable: authorization status from the chain alone');
    return undefined;
  });
  const sent = record?.kind === 'sent' ? record.transaction : null;
  if (await token.authorizationUsed(authorization, 'latest')) return { status: 'settled', transaction: (await token.findUse(authorization)) ?? sent };
  if (await token.authorizationUsed(authorization, 'pending')) return { status: 'pending', transaction: sent };
  if (sent !== null) {
    const receipt = await client.getTransactionReceipt({ hash: sent }).catch(nullWhen(TransactionReceiptNotFoundError));
    if (receipt !== null) return { status: 'failed', transaction: sent, reason: receipt.status === 'reverted' ? 'transaction reverted' : 'transaction mined without using the authorization' };
    if ((await client.getTransaction({ hash: sent }).catch(nullWhen(TransactionNotFoundError))) === null) return { status: 'failed', transaction: sent, reason: 'transaction dropped (the node does not have it)' };
    return { status: 'pending', transaction: sent };
  }
  if (record?.kind === 'claimed') {
    if (Date.now() - record.claimedAtMs < options.inFlightMs) return { status: 'settling', transaction: null };
    await claims.releaseStale(authorization, record).catch(() => undefined);
  }
  return { status: 'unused', transaction: null };
}

/** A rejection handler turning "not found" into null; any other error (the node down) stays an error. */
function nullWhen(notFound: new (...args: never[]) => Error): (error: unknown) => null {
  return (error) => {
    if (error instanceof notFound) return null;
    throw error;
  };
}
