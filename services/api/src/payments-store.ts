import { SETTLEMENT_TYPES } from '@twinkle/semconv';
import pg from 'pg';
import { PAYMENT_STATUSES, type NewPayment, type Payment, type PaymentStatus } from './payment.js';

/** Thrown when PostgreSQL cannot be reached (down, refusing, or not answering in time). */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** The authorization is already bound to another payment: one authorization pays one payment. */
export class AuthorizationInUseError extends Error {
  override readonly name = 'AuthorizationInUseError';

  constructor(readonly paymentId: string | undefined) {
    super(`the authorization is already used for payment ${paymentId ?? '(unknown)'}`);
  }
}

const sqlList = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  id          bigserial PRIMARY KEY,
  type        text NOT NULL CHECK (type IN (${sqlList(SETTLEMENT_TYPES)})),
  amount      numeric(78, 0) NOT NULL CHECK (amount > 0),
  payer       text NOT NULL,
  payee       text NOT NULL,
  memo        text,
  status      text NOT NULL DEFAULT 'created' CHECK (status IN (${sqlList(PAYMENT_STATUSES)})),
  tx_hash     text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE payments ADD COLUMN IF NOT EXISTS authorization_nonce text;
CREATE UNIQUE INDEX IF NOT EXISTS payments_authorization_key ON payments (lower(payer), authorization_nonce) WHERE authorization_nonce IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_unresolved ON payments (updated_at) WHERE status IN ('settling', 'pending')`;

/** Serialises schema creation across replicas starting at once (an arbitrary, fixed lock id). */
const SCHEMA_LOCK_ID = 7_301_104;

const COLUMNS = 'id, type, amount::text AS amount, payer, payee, memo, status, tx_hash, authorization_nonce, created_at, updated_at';
/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

interface PaymentRow {
  id: string;
  type: Payment['type'];
  amount: string;
  payer: string;
  payee: string;
  memo: string | null;
  status: PaymentStatus;
  tx_hash: string | null;
  authorization_nonce: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Payments in PostgreSQL through a `pg` pool. The schema is created on first use when
 * missing (retried after a failure, so a service started before its database recovers);
 * connection failures and timeouts surface as `DatabaseUnavailableError`.
 */
export class PaymentsStore {
  private readonly pool: pg.Pool;
  private schema: Promise<void> | undefined;

  constructor(databaseUrl: string, timeoutMs: number) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 10,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server emits here; without a listener the process would crash.
    this.pool.on('error', () => {});
  }

  /** Creates the table if missing; safe to call again after a failure. */
  ensureSchema(): Promise<void> {
    this.schema ??= this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
      await client.query(SCHEMA);
    }).catch((error: unknown) => {
      this.schema = undefined;
      throw error;
    });
    return this.schema;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1', []);
  }

  /** One page, newest first; `before` is the id the previous page ended with. */
  async list(limit: number, before: string | undefined): Promise<Payment[]> {
    await this.ensureSchema();
    const { rows } = before === undefined
      ? await this.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments ORDER BY id DESC LIMIT $1`, [limit])
      : await this.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id < $2 ORDER BY id DESC LIMIT $1`, [limit, before]);
    return rows.map(toPayment);
  }

  async get(id: string): Promise<Payment | undefined> {
    await this.ensureSchema();
    const { rows } = await this.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : toPayment(rows[0]);
  }

  async create(payment: NewPayment): Promise<Payment> {
    await this.ensureSchema();
    const { rows } = await this.query<PaymentRow>(
      `INSERT INTO payments (type, amount, payer, payee, memo) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [payment.type, payment.amount, payment.payer, payment.payee, payment.memo ?? null],
    );
    return toPayment(rows[0]!);
  }

  /**
   * Starts settling a `created` or `failed` payment with the authorization of `nonce`
   * (recorded before the facilitator is asked to settle it, so what became of it can be asked
   * later); undefined when the payment is in another state. Throws `AuthorizationInUseError`
   * when another payment of the payer holds that authorization.
   */
  async beginSettlement(id: string, nonce: string): Promise<Payment | undefined> {
    await this.ensureSchema();
    return this.binding(nonce, '(SELECT lower(payer) FROM payments WHERE id = $1)', [id], async () => {
      const { rows } = await this.query<PaymentRow>(
        `UPDATE payments SET status = 'settling', authorization_nonce = $2, updated_at = now()
         WHERE id = $1 AND status IN ('created', 'failed') RETURNING ${COLUMNS}`,
        [id, nonce],
      );
      return rows[0] === undefined ? undefined : toPayment(rows[0]);
    });
  }

  /** Records a payment already `settling` with the authorization of `nonce` (a paid request); throws `AuthorizationInUseError` as `beginSettlement` does. */
  async createSettling(payment: NewPayment, nonce: string): Promise<Payment> {
    await this.ensureSchema();
    return this.binding(nonce, 'lower($1)', [payment.payer], async () => {
      const { rows } = await this.query<PaymentRow>(
        `INSERT INTO payments (type, amount, payer, payee, memo, status, authorization_nonce) VALUES ($1, $2, $3, $4, $5, 'settling', $6) RETURNING ${COLUMNS}`,
        [payment.type, payment.amount, payment.payer, payment.payee, payment.memo ?? null, nonce],
      );
      return toPayment(rows[0]!);
    });
  }

  /** The payment the authorization `nonce` of `payer` is bound to, if any. */
  async authorizationHolder(payer: string, nonce: string): Promise<string | undefined> {
    await this.ensureSchema();
    const { rows } = await this.query<{ id: string }>('SELECT id FROM payments WHERE lower(payer) = lower($1) AND authorization_nonce = $2', [payer, nonce]);
    return rows[0]?.id;
  }

  /** Runs `write`, which binds `nonce`; a unique violation becomes `AuthorizationInUseError` naming the payment holding it (the payer given by `payerSql` over `values`). */
  private async binding<T>(nonce: string, payerSql: string, values: unknown[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION)) throw error;
      const { rows } = await this.query<{ id: string }>(`SELECT id FROM payments WHERE lower(payer) = ${payerSql} AND authorization_nonce = $2`, [...values, nonce]);
      throw new AuthorizationInUseError(rows[0]?.id);
    }
  }

  /**
   * Payments whose settlement's outcome is not known: every `pending` one, and `settling`
   * ones untouched for `settlingAfterMs` (no request is still waiting for them); oldest first.
   */
  async unresolved(settlingAfterMs: number, limit: number): Promise<Payment[]> {
    await this.ensureSchema();
    const { rows } = await this.query<PaymentRow>(
      `SELECT ${COLUMNS} FROM payments
       WHERE authorization_nonce IS NOT NULL
         AND (status = 'pending' OR (status = 'settling' AND updated_at < now() - $1 * interval '1 millisecond'))
       ORDER BY updated_at LIMIT $2`,
      [settlingAfterMs, limit],
    );
    return rows.map(toPayment);
  }

  /**
   * Moves a payment from `from` to `status` (with its transaction hash); undefined when
   * the payment was not in `from` (another request got there first). `unbind` removes its
   * authorization (one that was refused, or never sent): the payment no longer holds it.
   */
  async transition(id: string, from: readonly PaymentStatus[], status: PaymentStatus, txHash?: string, unbind = false): Promise<Payment | undefined> {
    await this.ensureSchema();
    const { rows } = await this.query<PaymentRow>(
      `UPDATE payments SET status = $2, tx_hash = COALESCE($3, tx_hash), updated_at = now(),
         authorization_nonce = CASE WHEN $5 THEN NULL ELSE authorization_nonce END
       WHERE id = $1 AND status = ANY($4::text[]) RETURNING ${COLUMNS}`,
      [id, status, txHash ?? null, from, unbind],
    );
    return rows[0] === undefined ? undefined : toPayment(rows[0]);
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw classify(error);
    }
  }

  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classify(error);
    }
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      client.release(true);
      throw classify(error);
    }
  }
}

/**
 * Errors the server answered with an SQLSTATE outside classes 08 (connection) and 57 (operator intervention)
 * are the query's fault and stay as they are; everything else (refused, reset, timed
 * out, terminated) means the database is unavailable.
 */
function classify(error: unknown): unknown {
  if (error instanceof pg.DatabaseError && !/^(08|57)/.test(error.code ?? '')) return error;
  return new DatabaseUnavailableError('database unavailable', { cause: error });
}

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    type: row.type,
    amount: row.amount,
    payer: row.payer,
    payee: row.payee,
    memo: row.memo,
    status: row.status,
    txHash: row.tx_hash,
    authorizationNonce: row.authorization_nonce,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
