/**
 * OTLP over HTTP as OpenTelemetry's own transport sends it (`@opentelemetry/otlp-exporter-base`
 * 0.301, node `http-exporter-transport` and `retrying-transport`: the same POST, headers,
 * user agent, gzip, response classification, 4 MB response bound, and up to five retries
 * with backoff and Retry-After within the export's timeout), except that nothing it holds
 * keeps the process alive: the request's socket and the timer before a retry are
 * unref'd, and once the process is ending on its own a failed export is not retried.
 * OpenTelemetry's transport holds a process that ends on its own until its retries give
 * up (about 9 s with nothing listening at the endpoint); here it is held only by the
 * agent's bounded exit flush (process-exit.ts), which ends at once when nothing listens.
 */
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import type { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';

/** The endpoint's configuration as OpenTelemetry reads it from the exporter options and the environment. */
export type OtlpNodeHttpConfiguration = ReturnType<typeof convertLegacyHttpOptions>;

/** The `@opentelemetry/otlp-exporter-base` this copies (pinned in package.json; a test holds the two equal). */
export const OTLP_EXPORTER_BASE_VERSION = '0.301.0';
const DEFAULT_USER_AGENT = `OTel-OTLP-Exporter-JavaScript/${OTLP_EXPORTER_BASE_VERSION}`;
/** A response longer than this fails the export (as OpenTelemetry's transport does). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Whether failed exports are retried: not once the process is ending. */
let retrying = true;
/** Exports waiting to be retried, woken when retries stop. */
const waiting = new Set<() => void>();

/**
 * From now on a failed export is not retried, and those waiting to be are given up:
 * for a process that is ending on its own, an endpoint that refuses (nothing listens
 * there) costs no time, one that hangs costs the exit flush's bound.
 */
export function stopRetrying(): void {
  retrying = false;
  for (const wake of waiting) wake();
  waiting.clear();
}

/** Waits `ms` on an unref'd timer, or less if retries stop. */
function pause(ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      waiting.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    timer.unref();
    waiting.add(wake);
  });
}

/** The transport for one endpoint, with retries. */
export function createOtlpHttpTransport(config: OtlpNodeHttpConfiguration): IExporterTransport {
  let loaded: Promise<{ agent: Agent; request: typeof import('node:http').request }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const protocol = new URL(config.url).protocol;
      // Loaded when the first export leaves, as OpenTelemetry's transport does.
      const request = (protocol === 'http:' ? require('node:http') : require('node:https')).request as typeof import('node:http').request;
      return { agent: (await config.agentFactory(protocol)) as Agent, request };
    })());
  const sendOnce = async (data: Uint8Array, timeoutMs: number): Promise<ExportResponse> => {
    const { agent, request } = await load();
    const headers = { ...(await config.headers()) };
    headers['User-Agent'] = config.userAgent ? `${config.userAgent} ${DEFAULT_USER_AGENT}` : DEFAULT_USER_AGENT;
    return post(request, config.url, headers, config.compression, agent, data, timeoutMs);
  };
  return {
    async send(data, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let backoff = INITIAL_BACKOFF_MS;
      let result = await sendOnce(data, timeoutMs);
      for (let retries = 0; result.status === 'retryable' && retries < MAX_RETRIES && retrying; retries++) {
        const jittered = Math.max(Math.min(backoff * (1 + Math.random() * 2 * JITTER - JITTER), MAX_BACKOFF_MS), 0);
        backoff *= BACKOFF_MULTIPLIER;
        const wait = result.retryInMillis ?? jittered;
        const remaining = deadline - Date.now();
        if (wait > remaining) return result;
        await pause(wait);
        if (!retrying) return result;
        result = await sendOnce(data, deadline - Date.now());
      }
      return result;
    },
    shutdown() {},
  };
}

/** One POST; never rejects. */
function post(
  request: typeof import('node:http').request,
  url: string,
  headers: Record<string, string>,
  compression: 'gzip' | 'none',
  agent: Agent,
  data: Uint8Array,
  timeoutMs: number,
): Promise<ExportResponse> {
  return new Promise((resolve) => {
    let req: ClientRequest;
    try {
      req = request(new URL(url), { method: 'POST', headers, agent }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            resolve({ status: 'failure', error: new Error(`OTLP export response body exceeded size limit of ${MAX_RESPONSE_BYTES} bytes`) });
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve(classify(res, Buffer.concat(chunks))));
        res.on('error', (error) => resolve(classify(res, undefined, error)));
      });
    } catch (error) {
      resolve({ status: 'failure', error: error as Error });
      return;
    }
    // The socket of an export must not keep a process alive that is otherwise done
    // (a socket taken from the agent's pool was ref'd again by it).
    req.on('socket', (socket) => socket.unref());
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ status: 'retryable', error: new Error('Request timed out') });
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve(RETRYABLE_NETWORK_ERRORS.has(String(error.code)) ? { status: 'retryable', error } : { status: 'failure', error }),
    );
    let body: Readable = Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
    const fail = (error: Error) => resolve({ status: 'failure', error });
    if (compression === 'gzip') {
      req.setHeader('Content-Encoding', 'gzip');
      body = body.on('error', fail).pipe((require('node:zlib') as typeof import('node:zlib')).createGzip()).on('error', fail);
    }
    body.pipe(req).on('error', fail);
  });
}

/** What a finished response means, as OpenTelemetry's transport reads it. */
function classify(res: IncomingMessage, body: Buffer | undefined, error?: Error): ExportResponse {
  const status = res.statusCode ?? 0;
  if (status >= 100 && status <= 299) return body === undefined ? { status: 'success' } : { status: 'success', data: body };
  if (RETRYABLE_STATUS.has(status)) return { status: 'retryable', error, retryInMillis: retryAfterMs(res.headers['retry-after']) };
  if (error !== undefined) return { status: 'failure', error };
  const { OTLPExporterError } = require('@opentelemetry/otlp-exporter-base') as typeof import('@opentelemetry/otlp-exporter-base');
  return { status: 'failure', error: new OTLPExporterError(res.statusMessage, status, body?.toString()) };
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), as OpenTelemetry parses it. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value == null) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1;
  const delay = new Date(value).getTime() - Date.now();
  return delay >= 0 ? delay : 0;
}
