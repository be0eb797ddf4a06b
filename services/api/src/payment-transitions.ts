import type { Logger } from 'pino';
import type { Payment, PaymentStatus } from './payment.js';
import { DatabaseUnavailableError, type PaymentsStore } from './payments-store.js';

/** Who learned the outcome: the answer to the settlement request, or the reconciler. */
export type OutcomeSource = 'facilitator' | 'reconciler';

export interface TransitionDetails {
  readonly txHash?: string | null | undefined;
  /** Why it failed, or why it went back to `created`. */
  readonly reason?: string | undefined;
  readonly via: OutcomeSource;
  /** The authorization was refused or never sent: the payment lets go of it. */
  readonly unbind?: boolean;
}

/**
 * A settlement's outcome written to its payment, with one log line per transition
 * (`payment settled`, `payment failed` ...) carrying the payment id and the transaction
 * hash. When the database cannot take it, the line says what was not recorded (the hash
 * included, so it is never lost), and the error goes on: the reconciler writes it once the
 * database is back.
 */
export class PaymentTransitions {
  constructor(
    private readonly store: PaymentsStore,
    private readonly log: Logger,
  ) {}

  /** Moves the payment from one of `from` to `to`; undefined when it was in none of them (someone else moved it). */
  async move(id: string, from: readonly PaymentStatus[], to: PaymentStatus, details: TransitionDetails): Promise<Payment | undefined> {
    const fields = { paymentId: id, from: from.join('|'), status: to, txHash: details.txHash ?? null, reason: details.reason, via: details.via };
    let moved: Payment | undefined;
    try {
      moved = await this.store.transition(id, from, to, details.txHash ?? undefined, details.unbind ?? false);
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) this.log.error(fields, `payment ${id} not recorded as ${to}: database unavailable; the reconciler records its outcome once the database is back`);
      throw error;
    }
    if (moved !== undefined) this.log[to === 'failed' ? 'warn' : 'info']({ ...fields, txHash: moved.txHash }, `payment ${to}`);
    return moved;
  }

  /** As `move`, but answers with the payment as it now is when someone else moved it first (the reconciler, with the same outcome). */
  async moveOrRead(id: string, from: readonly PaymentStatus[], to: PaymentStatus, details: TransitionDetails): Promise<Payment | undefined> {
    return (await this.move(id, from, to, details)) ?? this.current(id);
  }

  /** The payment as it is now. */
  current(id: string): Promise<Payment | undefined> {
    return this.store.get(id);
  }
}
