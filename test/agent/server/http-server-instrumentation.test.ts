import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installServerInstrumentation } from '../../../agent/src/server/http-server-instrumentation.js';
import type { LeanTracer } from '../../../agent/src/tracing/lean-tracer.js';
import { closeServer, listenOnLoopback } from '../../helpers/loopback-server.js';

describe('installServerInstrumentation', () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => {
    uncaught.push(err);
  };
  let uninstall: () => void;
  let url: string;
  const server = createServer((_req, res) => res.end('served'));

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    uninstall = installServerInstrumentation({
      tracer: { startSpan: () => {
        throw new Error('tracer broke');
      } } as unknown as LeanTracer,
      metrics: { record: () => {
        throw new Error('metrics broke');
      } },
    });
    url = await listenOnLoopback(server);
  });
  afterAll(async () => {
    uninstall();
    process.off('uncaughtException', onUncaught);
    await closeServer(server);
  });

  it('does not throw into the app when the tracer or the metrics fail', async () => {
    for (let i = 0; i < 3; i++) expect(await (await fetch(url)).text()).toBe('served');
    await new Promise((r) => setTimeout(r, 50));
    expect(uncaught).toEqual([]);
  });

  it('takes itself out again', () => {
    uninstall();
    expect(Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(server), 'emit')).toBe(false);
  });
});
