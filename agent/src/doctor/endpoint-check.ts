/**
 * Does an OTLP/HTTP endpoint take an export? Posts an empty export request (a protobuf
 * message with no resource spans/metrics/logs is zero bytes; in JSON `{}`), which a
 * collector answers 200 without storing anything. Bounded by `timeoutMs`.
 */
import type { OtlpProtocol } from '../config.js';
import { scrubString, withoutCredentials } from '../scrub.js';

/** The outcome of one check: `problem` says what is wrong, in one line. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** What was found, when it is fine (or not applicable). */
  readonly detail: string;
  readonly problem?: string;
}

/** Checks that `url` answers an empty OTLP export of `signal` with a 2xx within `timeoutMs`. */
export async function checkOtlpEndpoint(
  signal: 'traces' | 'metrics' | 'logs',
  url: string,
  protocol: OtlpProtocol,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<CheckResult> {
  const name = `otlp ${signal}`;
  const shown = withoutCredentials(url);
  const started = performance.now();
  const json = protocol === 'http/json';
  // Credentials in the URL go as Basic authorization, as Node's http client sends them for the exporter.
  const target = new URL(url);
  const auth: Record<string, string> = {};
  if (target.username || target.password) {
    auth.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  try {
    const res = await fetch(target, {
      method: 'POST',
      headers: { ...headers, ...auth, 'content-type': json ? 'application/json' : 'application/x-protobuf' },
      body: json ? '{}' : new Uint8Array(0),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    const ms = Math.round(performance.now() - started);
    if (res.ok) return { name, ok: true, detail: `${shown} took an empty ${signal} export (${res.status}) in ${ms} ms` };
    return { name, ok: false, detail: shown, problem: `${signal} endpoint ${shown} answered an empty export with HTTP ${res.status}` };
  } catch (err) {
    return { name, ok: false, detail: shown, problem: `${signal} endpoint ${shown} ${describeFailure(err, timeoutMs)}` };
  }
}

/** "refused the connection", "did not answer within 2000 ms", ... */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `did not answer within ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'refused the connection (ECONNREFUSED)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `has a host name that does not resolve (${code})`;
  return `could not be reached: ${scrubString(code ?? e?.cause?.message ?? e?.message ?? String(err))}`;
}
