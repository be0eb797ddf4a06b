/**
 * Errors in the agent's log lines: `err.type` is the error's class name (pino's own error
 * serializer, run before the secret scrubber copies the object), never "Object".
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

describe('errors in log lines', () => {
  let app: RunningApp;
  let lines: Map<string, Record<string, any>>;

  beforeAll(async () => {
    app = await spawnApp('error-log-app.mjs', { nodeArgs: WITH_AGENT });
    // The app logs its seven lines before it listens; the agent's destination writes them
    // within 100 ms, or later on a busy machine.
    await vi.waitFor(() => expect(app.jsonLines().length).toBeGreaterThanOrEqual(7), { timeout: 10_000, interval: 50 });
    lines = new Map(app.jsonLines().map((line) => [line.msg as string, line]));
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('names the class of each error in err.type, with message and stack', () => {
    const typeError = lines.get('a TypeError')!;
    expect(typeError.err).toMatchObject({ type: 'TypeError', message: 'not a function', stack: expect.stringContaining('TypeError: not a function') });
    expect(lines.get('a subclass that keeps its parent name')!.err.type).toBe('UnnamedSubclassError');
    expect(lines.get('passed as the only argument')!.err).toMatchObject({ type: 'PaymentDeclinedError', code: 'DECLINED' });
  });

  it("keeps an error's own fields and its cause as pino writes them", () => {
    const custom = lines.get('a custom class with a cause')!;
    expect(custom.err).toMatchObject({ type: 'PaymentDeclinedError', code: 'DECLINED', message: 'declined: card expired' });
    expect(custom.err.stack).toContain('caused by: Error: card expired');
  });

  it('serializes an Error under any top-level key, and keeps an already summarised err as it is', () => {
    expect(lines.get('an Error under another key')!.failure).toMatchObject({ type: 'SyntaxError', message: 'bad token' });
    expect(lines.get('an already summarised error')!.err).toEqual({ type: 'ContractFunctionRevertedError', message: 'insufficient balance' });
  });

  it('still scrubs secrets inside an error', () => {
    const line = lines.get('a secret in an error message')!;
    expect(line.err.type).toBe('Error');
    expect(JSON.stringify(line)).not.toContain('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');
    expect(line.err.message).toContain('[REDACTED]');
  });

  it('never writes "Object" as a type', () => {
    expect(lines.size).toBeGreaterThanOrEqual(7);
    expect(app.stdoutLines().join('\n')).not.toContain('"type":"Object"');
  });
});
