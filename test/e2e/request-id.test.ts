import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_TWINKLE_REQUEST_ID } from '@twinkle/semconv';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

const GENERATED = /^[0-9a-f]{16}-[0-9a-z]+$/;

/** Sends raw bytes as one HTTP/1.1 request and returns the status line and headers of the answer. */
function rawRequest(port: number, head: Buffer): Promise<{ status: number; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      data += d;
      if (data.includes('\r\n\r\n')) {
        socket.destroy();
        const [statusLine, ...lines] = data.split('\r\n\r\n')[0].split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        resolve({ status: Number(statusLine.split(' ')[1]), headers });
      }
    });
    socket.on('error', reject);
  });
}

describe('X-Request-Id from the outside', () => {
  let receiver: OtlpReceiver;
  let app: RunningApp;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp('app.mjs', {
      nodeArgs: WITH_AGENT,
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  let barriers = 0;

  /**
   * Asserts `marker` reached no log line and no exported span. A request sent after the
   * one that carried it goes first, and its access line and span are waited for: lines
   * leave in order, and spans in the order they ended, so whatever the earlier request
   * wrote or exported is there by then, however slow the machine.
   */
  async function expectNowhere(marker: string): Promise<void> {
    const barrier = `barrier-${++barriers}`;
    await (await fetch(`${app.url}/payments/9`, { headers: { 'x-request-id': barrier } })).arrayBuffer();
    await receiver.waitFor((spans) => spans.some((s) => s.attributes[ATTR_TWINKLE_REQUEST_ID] === barrier));
    await expect.poll(() => app.jsonLines().some((l) => l.reqId === barrier && l.msg === 'Request completed')).toBe(true);
    expect(app.stdoutLines().join('\n')).not.toContain(marker);
    for (const body of receiver.bodies) expect(body).not.toContain(marker);
  }

  it('generates an id when none is sent, in the format README states', async () => {
    const res = await fetch(`${app.url}/payments/1`);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(GENERATED);
    // README: "otherwise a new one, `<16 hex digits>-<counter in base 36>` (`9fb2d541ffcebc06-1a`: ...".
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const stated = /otherwise a new one, `<16 hex digits>-<counter in base 36>` \(`([^`]+)`/.exec(readme);
    expect(stated, 'README states the generated request id format with an example').not.toBeNull();
    expect(stated![1]).toMatch(GENERATED);
    // The counter part counts up in base 36 within a process.
    const next = (await fetch(`${app.url}/payments/1`)).headers.get('x-request-id')!;
    expect(next.slice(0, 16)).toBe(id.slice(0, 16));
    expect(parseInt(next.slice(17), 36)).toBeGreaterThan(parseInt(id.slice(17), 36));
  });

  it('replaces 10 KB of text with a generated id', async () => {
    const marker = `TENKB${'x'.repeat(10 * 1024)}`;
    const res = await fetch(`${app.url}/payments/2`, { headers: { 'x-request-id': marker } });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(GENERATED);
    await expect.poll(() => receiver.spans.some((s) => s.attributes[ATTR_TWINKLE_REQUEST_ID] === id), { timeout: 5000 }).toBe(true);
    await expect.poll(() => app.jsonLines().some((l) => l.reqId === id && l.msg === "Request completed"), { timeout: 5000 }).toBe(true);
    await expectNowhere('TENKB');
  });

  it('replaces a non-ASCII value with a generated id', async () => {
    const head = Buffer.concat([
      Buffer.from('GET /payments/3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: NONASCII-', 'latin1'),
      Buffer.from('réqué-✓', 'utf8'),
      Buffer.from('\r\n\r\n', 'latin1'),
    ]);
    const res = await rawRequest(app.port, head);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(GENERATED);
    await expectNowhere('NONASCII');
  });

  it.each([
    ['a bare CR', 'CRLF-CR\rInjected: 1'],
    ['a bare LF', 'CRLF-LF\nInjected: 1'],
    ['a folded line', 'CRLF-FOLD\r\n Injected: 1'],
  ])('never lets a value with %s reach a header, a log line or a span', async (_name, value) => {
    const head = Buffer.from(`GET /payments/4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: ${value}\r\n\r\n`, 'latin1');
    const res = await rawRequest(app.port, head);
    // Node's parser refuses the request outright (400) or the agent replaces the id.
    if (res.status === 400) expect(res.headers['x-request-id']).toBeUndefined();
    else expect(res.headers['x-request-id']).toMatch(GENERATED);
    expect(res.headers.injected).toBeUndefined();
    await expectNowhere('CRLF-');
    expect(await (await fetch(`${app.url}/payments/5`)).text()).toBe('{"id":"5"}');
  });
});
