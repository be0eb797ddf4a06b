import type { Logger } from 'pino';
import { authorizationStatus } from './facilitator-client.js';
import { applyAuthorizationStatus } from './payment-settlement.js';
import type { PaymentTransitions } from './payment-transitions.js';
import { DatabaseUnavailableError, type PaymentsStore } from './payments-store.js';

export interface ReconcilerOptions {
  readonly store: PaymentsStore;
  readonly transitions: PaymentTransitions;
  readonly facilitatorUrl: string;
  /** Time between passes. */
  readonly intervalMs: number;
  /** A `settling` payment untouched this long has no request waiting for it any more (the API's settlement call bound). */
  readonly settlingAfterMs: number;
  /** Bound on one status query to the facilitator. */
  readonly timeoutMs: number;
  readonly log: Logger;
}

/** Payments looked at per pass. */
const BATCH = 50;

/**
 * Brings payments whose settlement outcome is unknown in line with the chain: at start-up
 * and then every `intervalMs`, each `pending` payment, and each `settling` one that no
 * request is waiting for any more (the API crashed, or the database was down when the
 * answer came), is looked up by its authorization at the facilitator
 * (`GET /authorizations/:from/:nonce`, which asks the token) and moved to what happened:
 * settled, failed, or pending with its transaction hash. Each move is one log line.
 */
export class PaymentReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  /** What the last pass could not reach, so an outage is said once, not every pass. */
  private unavailable: 'database' | 'facilitator' | undefined;

  constructor(private readonly options: ReconcilerOptions) {}

  /** Runs a pass now, then one every interval (never two at once). */
  start(): void {
    const loop = (): void => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs).unref();
      });
    };
    loop();
  }

  /** Stops the passes; resolves once the current one (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass; resolves with the number of payments moved. Never rejects. */
  async runOnce(): Promise<number> {
    const { store, transitions, facilitatorUrl, timeoutMs, log } = this.options;
    let moved = 0;
    try {
      const payments = await store.unresolved(this.options.settlingAfterMs, BATCH);
      for (const payment of payments) {
        if (this.stopped) break;
        const status = await authorizationStatus(facilitatorUrl, payment.payer, payment.authorizationNonce!, timeoutMs);
        if (status === undefined) {
          this.postpone('facilitator', { unresolved: payments.length });
          return moved;
        }
        if ((await applyAuthorizationStatus(transitions, payment, status, 'reconciler')) !== undefined) moved += 1;
      }
      if (this.unavailable !== undefined) log.info(`reconciliation resumed: the ${this.unavailable} answers again`);
      this.unavailable = undefined;
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) this.postpone('database');
      else log.error({ err: error }, 'reconciliation pass failed');
    }
    return moved;
  }

  private postpone(what: 'database' | 'facilitator', fields: Record<string, unknown> = {}): void {
    if (this.unavailable !== what) this.options.log.warn(fields, `reconciliation postponed: the ${what} is unavailable (retried every ${this.options.intervalMs} ms)`);
    this.unavailable = what;
  }
}
