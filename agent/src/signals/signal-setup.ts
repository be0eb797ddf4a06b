/** What the set-up of each signal (traces, metrics, logs, errors) gives the agent's composition root (sdk.ts). */
export interface SignalSetup {
  /** Whether it ever sends anything off the process (a Prometheus reader and the stdout loggers do not). */
  readonly sends: boolean;
  /** A count that grows with what the signal took in (spans ended, records emitted, events captured): at a natural exit, a signal is flushed again only when it moved. */
  activity(): number;
  /** Sends what waits; resolves once it is sent or given up, within `timeoutMs` where the signal can bound itself; never rejects. */
  flush(timeoutMs: number): Promise<void>;
  /** Sends what waits and stops; never rejects. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** Steps that undo what a set-up installed (globals, patches), run in reverse when a later step fails. */
export type UndoSteps = Array<() => unknown>;
