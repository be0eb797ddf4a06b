/**
 * The OTLP/HTTP trace receiver of the benchmark: answers each export with 200 and an empty
 * ExportTraceServiceResponse, counts the spans it got (framing only), and tells its counts
 * on GET /bench/counts so the benchmark can check that every request was traced.
 *
 *   PORT=4399 node test/bench/otlp-receiver.ts
 */
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { countOtlpJsonSpans, countOtlpSpans } from './lib/count-otlp-spans.ts';
import type { ReceiverCounts } from './lib/receiver-counts.ts';

const counts: ReceiverCounts = { exports: 0, requests: 0, traces: 0, spans: 0, bytes: 0, errors: 0, unexpected: {} };

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/bench/counts') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(counts));
      return;
    }
    const json = String(req.headers['content-type']).includes('json');
    if (req.method !== 'POST' || path !== '/v1/traces') {
      counts.unexpected[`${req.method} ${path}`] = (counts.unexpected[`${req.method} ${path}`] ?? 0) + 1;
      res.statusCode = 404;
      res.end();
      return;
    }
    let body = Buffer.concat(chunks);
    counts.exports++;
    counts.bytes += body.length;
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const got = json ? countOtlpJsonSpans(body.toString('utf8')) : countOtlpSpans(body);
      counts.requests += got.serverSpans;
      counts.traces += got.rootSpans;
      counts.spans += got.spans;
    } catch (err) {
      counts.errors++;
      if (counts.errors === 1) process.stderr.write(`otlp-receiver: cannot read an export: ${String(err)}\n`);
    }
    res.statusCode = 200;
    res.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf');
    res.end(json ? '{}' : '');
  });
});
server.listen(Number(process.env.PORT ?? 4318), '127.0.0.1', () => process.stderr.write('otlp-receiver ready\n'));
process.on('SIGTERM', () => process.exit(0));
