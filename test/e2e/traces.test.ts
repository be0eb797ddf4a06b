import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_TWINKLE_REQUEST_ID } from '@twinkle/semconv';
import { startJsonRpcNode, type JsonRpcNode } from '../helpers/json-rpc-node.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/services.js';

const SERVER = 2; // OTLP SpanKind
const CLIENT = 3;
const PATH_KEY = 'PathKey0123456789abcdef';
const QUERY_KEY = 'QueryKey9876543210';

/** Every span of a trace below `root`, depth first. */
function descendants(spans: ReceivedSpan[], root: ReceivedSpan): ReceivedSpan[] {
  const children = spans.filter((s) => s.parentSpanId === root.spanId && s.traceId === root.traceId);
  return children.flatMap((c) => [c, ...descendants(spans, c)]);
}

describe.each([
  { protocol: 'http/protobuf' as const },
  { protocol: 'http/json' as const },
])('traces over OTLP ($protocol)', ({ protocol }) => {
  let receiver: OtlpReceiver;
  let rpc: JsonRpcNode;
  let downstream: RunningApp;
  let app: RunningApp;

  const serverSpan = async (path: string): Promise<ReceivedSpan> => {
    const spans = await receiver.waitFor((all) => all.some((s) => s.kind === SERVER && s.attributes['url.path'] === path));
    return spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path)!;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    rpc = await startJsonRpcNode();
    const otel = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    };
    downstream = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { ...otel, OTEL_SERVICE_NAME: 'downstream' } });
    app = await spawnApp('traced-app.mjs', {
      nodeArgs: WITH_AGENT,
      env: {
        ...otel,
        OTEL_SERVICE_NAME: 'twinkle-traced',
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        RPC_URL: `${rpc.url}/v2/${PATH_KEY}?apikey=${QUERY_KEY}`,
        DOWNSTREAM_URL: downstream.url,
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await downstream?.stop();
    await rpc?.close();
    await receiver?.close();
  });

  it('records PostgreSQL queries as children of the route span', async () => {
    expect((await fetch(`${app.url}/db/5`)).status).toBe(200);
    const root = await serverSpan('/db/5');
    expect(root.name).toBe('GET /db/:id');
    expect(root.resource['service.name']).toBe('twinkle-traced');
    const spans = await receiver.waitFor((all) => descendants(all, root).some((s) => String(s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'postgresql'));
    const queries = descendants(spans, root).filter((s) => String(s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'postgresql');
    expect(queries.some((s) => String(s.attributes['db.statement'] ?? s.attributes['db.query.text']).includes('SELECT $1::int AS id'))).toBe(true);
  });

  it('records Redis commands as children of the route span', async () => {
    expect((await fetch(`${app.url}/cache/k1`)).status).toBe(200);
    const root = await serverSpan('/cache/k1');
    const spans = await receiver.waitFor((all) => descendants(all, root).some((s) => s.name === 'get'));
    const commands = descendants(spans, root).filter((s) => s.name === 'set' || s.name === 'get');
    expect(new Set(commands.map((s) => s.name))).toEqual(new Set(['get', 'set']));
    for (const c of commands) expect(String(c.attributes['db.system'] ?? c.attributes['db.system.name'])).toBe('redis');
  });

  it('shows the JSON-RPC method on the client span and no key anywhere', async () => {
    expect((await fetch(`${app.url}/chain`)).status).toBe(200);
    const root = await serverSpan('/chain');
    const spans = await receiver.waitFor((all) => descendants(all, root).filter((s) => s.attributes['rpc.method']).length === 2);
    const calls = descendants(spans, root).filter((s) => s.kind === CLIENT && s.attributes['rpc.method']);
    expect(calls.map((s) => s.name).sort()).toEqual(['POST eth_blockNumber', 'POST eth_sendRawTransaction']);
    for (const c of calls) {
      expect(c.attributes['rpc.system']).toBe('jsonrpc');
      expect(String(c.attributes['url.full'])).toMatch(/\/v2\/\[REDACTED\]\?apikey=\[REDACTED\]$/);
    }
    // The real request carried the key; nothing recorded or logged does.
    expect(rpc.received.some((r) => r.path.includes(PATH_KEY))).toBe(true);
    for (const body of receiver.bodies) {
      expect(body).not.toContain(PATH_KEY);
      expect(body).not.toContain(QUERY_KEY);
    }
    const sent = app.jsonLines().find((l) => String(l.msg).startsWith('sent '))!;
    expect(sent.txHash).toBe(`0x${'ab'.repeat(32)}`);
    expect(sent.msg).toMatch(/^sent \[REDACTED\] through http:\/\/127\.0\.0\.1:\d+\/v2\/\[REDACTED\]\?apikey=\[REDACTED\]$/);
    expect(String(sent.rpc)).toMatch(/\/v2\/\[REDACTED\]\?apikey=\[REDACTED\]$/);
    const lines = app.stdoutLines().join('\n');
    expect(lines).not.toContain(PATH_KEY);
    expect(lines).not.toContain(QUERY_KEY);
  });

  it('links a call to a second instrumented process into one trace', async () => {
    const res = await fetch(`${app.url}/downstream/7`);
    expect(await res.json()).toEqual({ downstream: { id: '7' }, status: 200 });
    const root = await serverSpan('/downstream/7');
    const spans = await receiver.waitFor((all) => all.some((s) => s.kind === SERVER && s.resource['service.name'] === 'downstream' && s.traceId === root.traceId));
    const client = descendants(spans, root).find((s) => s.kind === CLIENT)!;
    const remote = spans.find((s) => s.kind === SERVER && s.resource['service.name'] === 'downstream' && s.traceId === root.traceId)!;
    expect(remote.name).toBe('GET /payments/:id');
    expect(remote.parentSpanId).toBe(client.spanId);
  });

  it('continues an incoming W3C trace and passes trace context and baggage on', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const before = rpc.received.length;
    const res = await fetch(`${app.url}/chain`, {
      headers: { traceparent: `00-${traceId}-${parent}-01`, baggage: 'tenant=acme' },
    });
    expect(res.status).toBe(200);
    const spans = await receiver.waitFor((all) => all.some((s) => s.kind === SERVER && s.traceId === traceId));
    const root = spans.find((s) => s.kind === SERVER && s.traceId === traceId)!;
    expect(root.parentSpanId).toBe(parent);
    const outgoing = rpc.received.slice(before);
    expect(outgoing).toHaveLength(2);
    for (const r of outgoing) {
      expect(String(r.headers.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(r.headers.baggage).toBe('tenant=acme');
    }
  });

  it('keeps a valid X-Request-Id, returns it, and puts it on the span and every log line', async () => {
    const res = await fetch(`${app.url}/log`, {
      method: 'POST',
      headers: { 'x-request-id': 'req-abc.123', 'content-type': 'application/json', authorization: 'Bearer sk_live_abcdef', cookie: 'session=s3cr3t-cookie' },
      body: JSON.stringify({
        from: '0xabc',
        amount: '1.5',
        password: 'hunter2-password',
        privateKey: `0x${'1f'.repeat(32)}`,
        nested: { api_key: 'nested-api-key-value' },
      }),
    });
    expect(res.headers.get('x-request-id')).toBe('req-abc.123');
    expect(await res.json()).toEqual({ requestId: 'req-abc.123' });
    const root = await serverSpan('/log');
    expect(root.attributes[ATTR_TWINKLE_REQUEST_ID]).toBe('req-abc.123');

    await expect.poll(() => app.jsonLines().filter((l) => l.reqId === "req-abc.123").length, { timeout: 5000 }).toBe(3);
    const lines = app.jsonLines().filter((l) => l.reqId === 'req-abc.123');
    const [serviceLine, ownLine, access] = [
      lines.find((l) => String(l.msg).startsWith('payment from'))!,
      lines.find((l) => l.msg === 'own logger line')!,
      lines.find((l) => l.msg === 'Request completed')!,
    ];
    for (const line of [serviceLine, ownLine, access]) {
      expect(line.trace_id).toBe(root.traceId);
      expect(line).toMatchObject({ pid: app.child.pid, hostname: expect.any(String) });
    }
    expect(serviceLine.span_id).toBe(root.spanId);
    expect(serviceLine).toMatchObject({ level: 30, service: 'twinkle-traced', time: expect.any(Number) });
    // Redaction: keys kept, values replaced.
    expect(serviceLine.msg).toBe('payment from 0xabc signed with [REDACTED]');
    expect(serviceLine.body).toMatchObject({ from: '0xabc', amount: '1.5', password: '[REDACTED]', privateKey: '[REDACTED]', nested: { api_key: '[REDACTED]' } });
    expect(serviceLine.headers).toEqual({ authorization: '[REDACTED]', cookie: '[REDACTED]' });
    const stdout = app.stdoutLines().join('\n');
    for (const secret of ['hunter2-password', '1f1f1f1f1f1f', 'sk_live_abcdef', 's3cr3t-cookie', 'nested-api-key-value']) expect(stdout).not.toContain(secret);
    expect(access).toMatchObject({ level: 30, msg: 'Request completed', method: 'POST', path: '/log', status: 200, service: 'twinkle-traced' });
    expect(access.duration).toBeGreaterThan(0);
    expect(access.duration).toBeLessThan(5);
  });

  it('makes no span for /metrics and writes no access line for it', async () => {
    await (await fetch(`${app.url}/metrics`)).text();
    await (await fetch(`${app.url}/payments/1`)).text();
    await serverSpan('/payments/1');
    expect(receiver.spans.some((s) => String(s.attributes['url.path']).startsWith('/metrics'))).toBe(false);
    expect(app.jsonLines().some((l) => l.path === '/metrics')).toBe(false);
  });

  it('writes nothing to stderr while it exports but its start line (no warning from Node, a dependency or the agent)', async () => {
    await serverSpan('/payments/1');
    for (const process_ of [app, downstream]) {
      const lines = process_.stderr().trim().split('\n');
      expect(lines.filter((l) => !l.includes('"name":"@twinkle/agent"'))).toEqual([`LISTENING ${process_.port}`]);
      expect(process_.agentLines().map((l) => String(l.msg))).toEqual([expect.stringMatching(/^agent started: /)]);
    }
  });
});
