/**
 * What the start-up banner says about traces: where the agent will send them (read by the
 * agent's own configuration reader, so the banner and the agent cannot disagree) and whether
 * anything answers there right now, so a person is not left with a silent "span export
 * failed" when no collector runs.
 */
import { readConfig } from '../agent/dist/config.js';

/** One line: where traces go and whether an OTLP receiver answered an empty export there within 1 s. */
export async function describeTracesDestination(env: Record<string, string | undefined>): Promise<string> {
  const { config } = readConfig(env);
  if (config.disabled) return 'off (OTEL_SDK_DISABLED=true)';
  if (config.tracesExporter === 'none') return 'off (OTEL_TRACES_EXPORTER=none)';
  if (config.tracesExporter === 'console') return 'printed on the console (OTEL_TRACES_EXPORTER=console)';
  const url = config.tracesUrl;
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return `OTLP to ${url}: a receiver answers there (HTTP ${response.status})`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return `OTLP to ${url}: nothing answers there (${cause}), so spans are dropped; \`npm run up\` runs the collector and Jaeger with the services, or set OTEL_TRACES_EXPORTER=none`;
  }
}
