/**
 * The Datadog agent stand-in of the benchmark: accepts dd-trace's trace payloads
 * (PUT/POST /v0.4/traces and /v0.5/traces, msgpack), answers them as the agent does
 * (200, `{"rate_by_service":{}}`), counts traces and spans (framing only), answers anything
 * else with 200 JSON and counts it by path, and tells its counts on GET /bench/counts.
 *
 *   PORT=4398 node test/bench/datadog-agent-receiver.ts
 */
import { createServer } from 'node:http';
import { countDatadogTraces } from './lib/count-datadog-traces.ts';
import type { ReceiverCounts } from './lib/receiver-counts.ts';

const counts: ReceiverCounts = { exports: 0, requests: 0, traces: 0, spans: 0, bytes: 0, errors: 0, unexpected: {} };
const TRACES_PATH = /^\/v(0\.[45])\/traces$/;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0];
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && path === '/bench/counts') {
      res.end(JSON.stringify(counts));
      return;
    }
    const version = TRACES_PATH.exec(path)?.[1] as '0.4' | '0.5' | undefined;
    if (version === undefined || (req.method !== 'PUT' && req.method !== 'POST')) {
      const key = `${req.method} ${path}`;
      counts.unexpected[key] = (counts.unexpected[key] ?? 0) + 1;
      res.end(path === '/info' ? JSON.stringify({ version: 'bench', endpoints: ['/v0.4/traces', '/v0.5/traces'], client_drop_p0s: false }) : '{}');
      return;
    }
    const body = Buffer.concat(chunks);
    counts.exports++;
    counts.bytes += body.length;
    try {
      const got = countDatadogTraces(body, version);
      counts.requests += got.webTraces;
      counts.traces += got.traces;
      counts.spans += got.spans;
    } catch (err) {
      counts.errors++;
      if (counts.errors === 1) process.stderr.write(`datadog-agent-receiver: cannot read a payload: ${String(err)}\n`);
    }
    res.end('{"rate_by_service":{}}');
  });
});
server.listen(Number(process.env.PORT ?? 8126), '127.0.0.1', () => process.stderr.write('datadog-agent-receiver ready\n'));
process.on('SIGTERM', () => process.exit(0));
