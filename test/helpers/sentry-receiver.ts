import { createServer, type IncomingHttpHeaders } from 'node:http';
import { closeServer, createWaiter, listenOnLoopback } from './loopback-server.js';
import { gunzipSync } from 'node:zlib';

/** One event item out of a Sentry envelope. */
export type SentryEvent = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A Sentry ingest endpoint on loopback that parses real envelopes (gzip included). */
export interface SentryReceiver {
  /** The DSN pointing at this receiver. */
  readonly dsn: string;
  readonly events: SentryEvent[];
  /** Every envelope as received (decompressed), for "never contains" checks. */
  readonly bodies: string[];
  readonly headers: IncomingHttpHeaders[];
  waitFor(predicate: (events: SentryEvent[]) => boolean, timeoutMs?: number): Promise<SentryEvent[]>;
  close(): Promise<void>;
}

/** Splits an envelope into its header and items, and keeps the event items. */
export function parseEnvelope(text: string): { header: Record<string, unknown>; items: Array<{ type: string; payload: unknown }> } {
  const lines = text.split('\n');
  const header = JSON.parse(lines[0]) as Record<string, unknown>;
  const items: Array<{ type: string; payload: unknown }> = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const itemHeader = JSON.parse(lines[i]) as { type: string; length?: number };
    const payload = lines[++i] ?? '';
    items.push({ type: itemHeader.type, payload: itemHeader.type === 'attachment' ? payload : JSON.parse(payload) });
  }
  return { header, items };
}

/** Starts the receiver; `hang` accepts and never answers, `refuse` is served by closing the port (see closedDsn). */
export async function startSentryReceiver(options: { hang?: boolean } = {}): Promise<SentryReceiver> {
  const events: SentryEvent[] = [];
  const bodies: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const waiter = createWaiter(events, (all) => all.map((e) => eventMessage(e)).join(' | '));
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const text = body.toString('utf8');
    bodies.push(text);
    headers.push(req.headers);
    if (options.hang) return;
    if (!/^\/api\/\d+\/envelope\/?/.test(req.url ?? '')) {
      res.statusCode = 404;
      return res.end();
    }
    for (const item of parseEnvelope(text).items) if (item.type === 'event') events.push(item.payload as SentryEvent);
    res.statusCode = 200;
    res.end('{}');
    waiter.notify();
  });
  const url = new URL(await listenOnLoopback(server));
  return {
    dsn: `http://publickey0123@${url.host}/42`,
    events,
    bodies,
    headers,
    waitFor: waiter.waitFor,
    close: () => closeServer(server),
  };
}

/** The message of an event's first exception, or its message. */
export function eventMessage(event: SentryEvent): string {
  return String(event.exception?.values?.[0]?.value ?? event.message ?? '');
}
