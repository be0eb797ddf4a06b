import { request } from 'node:http';

/** What a benchmark receiver has counted since it started (GET /bench/counts). */
export interface ReceiverCounts {
  /** Export requests (OTLP) or trace payloads (Datadog) received. */
  exports: number;
  /** Traces of served requests, one per request: server spans (OTLP), traces rooted in a web span (Datadog). */
  requests: number;
  /** All traces: root spans (OTLP), trace chunks (Datadog). */
  traces: number;
  spans: number;
  bytes: number;
  /** Payloads the receiver could not walk. */
  errors: number;
  /** Requests to paths a receiver does not serve, by "METHOD /path". */
  unexpected: Record<string, number>;
}

/** Reads a receiver's counts from GET /bench/counts on `port`. */
export function fetchReceiverCounts(port: number): Promise<ReceiverCounts> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/bench/counts', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as ReceiverCounts);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
