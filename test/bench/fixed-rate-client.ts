/**
 * Open-loop load at a fixed request rate (what wrk2 does): request i is due at
 * start + i / rate whatever the server did with the previous ones, sent on a free keep-alive
 * connection, and its latency runs from when it was due (a request that waits for a free
 * connection waits in the latency, so a server that falls behind cannot hide it). Sends are
 * paced within the millisecond by sleeping on Atomics.wait rather than spinning, so the
 * receivers sharing this core still get time. Prints one JSON line (FixedRateResult).
 *
 *   node test/bench/fixed-rate-client.ts http://127.0.0.1:3100/payments/1 20000 8 50
 *
 * autocannon's --overallRate is not used: it gives each connection a budget per
 * one-second window, all windows aligned, and each connection spends its budget
 * back-to-back, so half of the capacity is a burst at saturation for half of every second;
 * and it records latencies in whole milliseconds.
 */
import { connect, type Socket } from 'node:net';
import type { FixedRateResult } from './lib/fixed-rate-result.ts';

const [url, rateArg, secondsArg, connectionsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg ?? 50);
if (!url || !(rate > 0) || !(seconds > 0) || !(connections > 0)) {
  throw new Error('usage: fixed-rate-client.ts URL RATE SECONDS [CONNECTIONS]');
}
/** How long requests still running when the schedule ends may take before they count as lost. */
const GRACE_MS = 2000;
/** The longest pause between two looks at the sockets: the error bound of a measured latency. */
const MAX_SLEEP_MS = 0.25;

const target = new URL(url);
const request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`, 'latin1');
const scheduled = Math.round(rate * seconds);
const interval = 1000 / rate;
const latencies = new Float64Array(scheduled);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

interface Connection {
  socket: Socket;
  /** When the request in flight on it was due; undefined when idle. */
  due: number | undefined;
  pending: Buffer | undefined;
}

let start = 0;
let next = 0;
let completed = 0;
let non2xx = 0;
let errors = 0;
const idle: Connection[] = [];
/** Requests are due but every connection is busy: the next response restarts the pacing. */
let stalled = false;

const HEADER_END = Buffer.from('\r\n\r\n');

/** Length of the complete response at the head of buf, or 0 when more bytes are needed. */
function responseLength(buf: Buffer): number {
  const headerEnd = buf.indexOf(HEADER_END);
  if (headerEnd < 0) return 0;
  const head = buf.toString('latin1', 0, headerEnd).toLowerCase();
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) {
    const total = headerEnd + 4 + Number(length[1]);
    return buf.length >= total ? total : 0;
  }
  if (head.includes('\r\ntransfer-encoding: chunked')) {
    const end = buf.indexOf('\r\n0\r\n\r\n', headerEnd);
    return end < 0 ? 0 : end + 7;
  }
  return headerEnd + 4;
}

function open(): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port || 80), target.hostname);
    socket.setNoDelay(true);
    const conn: Connection = { socket, due: undefined, pending: undefined };
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      resolve(conn);
    });
    socket.on('error', (err) => (connected ? errors++ : reject(err)));
    // A request in flight on a closed connection is never answered: it counts as lost.
    socket.on('close', () => {
      if (conn.due !== undefined) errors++;
    });
    socket.on('data', (chunk: Buffer) => {
      let buf = conn.pending ? Buffer.concat([conn.pending, chunk]) : chunk;
      for (;;) {
        const length = responseLength(buf);
        if (length === 0 || conn.due === undefined) break;
        const status = Number(buf.toString('latin1', 9, 12));
        if (status < 200 || status > 299) non2xx++;
        latencies[completed++] = performance.now() - conn.due;
        conn.due = undefined;
        idle.push(conn);
        buf = buf.subarray(length);
      }
      conn.pending = buf.length > 0 ? buf : undefined;
      if (stalled) {
        stalled = false;
        setImmediate(tick);
      }
    });
  });
}

/** Sends every request that is due on the idle connections. */
function pump(): void {
  const now = performance.now();
  while (next < scheduled && idle.length > 0) {
    const due = start + next * interval;
    if (due > now) break;
    const conn = idle.pop()!;
    conn.due = due;
    next++;
    conn.socket.write(request);
  }
}

function tick(): void {
  pump();
  if (next >= scheduled) return;
  if (idle.length === 0) {
    stalled = true;
    return;
  }
  const wait = start + next * interval - performance.now();
  // Sleep until the next request is due, but at most MAX_SLEEP_MS: a response that arrives
  // meanwhile is read (and timed) only after the sleep. setImmediate lets the event loop
  // poll the sockets in between.
  if (wait > 0.02) Atomics.wait(sleeper, 0, 0, Math.min(wait, MAX_SLEEP_MS));
  setImmediate(tick);
}

const conns = await Promise.all(Array.from({ length: connections }, open));
idle.push(...conns);
start = performance.now();
const scheduleEnd = start + seconds * 1000;
tick();

await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    const now = performance.now();
    const inFlight = conns.filter((c) => c.due !== undefined).length;
    if ((next >= scheduled && inFlight === 0) || now > scheduleEnd + GRACE_MS) {
      clearInterval(check);
      resolve();
    }
  }, 10);
});
const end = performance.now();
const sent = next;
for (const conn of conns) conn.socket.destroy();

// Requests never sent or never answered count at the latency they had reached by the end:
// a lower bound, flagged by `lowerBound`.
const all = new Float64Array(scheduled);
all.set(latencies.subarray(0, completed));
let filled = completed;
for (const conn of conns) if (conn.due !== undefined) all[filled++] = end - conn.due;
for (let i = sent; i < scheduled; i++) all[filled++] = end - (start + i * interval);
all.sort();
const at = (q: number): number => all[Math.min(all.length - 1, Math.ceil(q * all.length) - 1)];

const result: FixedRateResult = {
  rate,
  scheduled,
  sent,
  completed,
  non2xx,
  errors,
  achievedRate: completed / ((Math.min(end, scheduleEnd) - start) / 1000),
  p50Ms: at(0.5),
  p99Ms: at(0.99),
  p999Ms: at(0.999),
  maxMs: all[all.length - 1],
  lowerBound: completed < scheduled,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
