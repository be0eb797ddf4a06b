import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import type { AgentDiag } from '../diag.js';
import { markAgentServer } from '../server/agent-servers.js';

/** The path Prometheus scrapes, on the app's port or on the dedicated listener. */
export const METRICS_PATH = '/metrics';

/** The Prometheus reader and the ways `/metrics` is answered. */
export interface PrometheusEndpoint {
  readonly exporter: PrometheusExporter;
  /** Answers one scrape. */
  serve(req: IncomingMessage, res: ServerResponse): void;
  /** Starts the dedicated listener, when one is configured. */
  listen(listener: { host: string; port: number }, diag: AgentDiag): void;
  close(): Promise<void>;
}

/**
 * Creates the exporter as a pull reader: no server of its own, no `target_info`, no
 * `otel_scope_*` labels, so the text carries exactly the metric families of the README's table;
 * `producers` add metrics kept outside the SDK's instruments.
 */
export function createPrometheusEndpoint(producers: MetricProducer[] = []): PrometheusEndpoint {
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
    metricProducers: producers,
  });
  let server: Server | undefined;

  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    exporter.getMetricsRequestHandler(req, res);
  };

  return {
    exporter,
    serve,
    listen(listener, diag) {
      server = createServer(function twinkleMetricsListener(req, res) {
        const path = (req.url ?? '').split('?', 1)[0];
        if (path === METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD')) serve(req, res);
        else {
          res.statusCode = 404;
          res.end();
        }
      });
      markAgentServer(server);
      // Neither the listener nor a scraper's keep-alive connection may keep the app alive.
      server.on('connection', (socket) => socket.unref());
      server.on('error', (err) =>
        diag.error(`metrics listener on ${listener.host}:${listener.port} failed: ${err.message}; /metrics is not served`),
      );
      server.listen(listener.port, listener.host, () => {
        server?.unref();
        diag.debug(`metrics listener on http://${listener.host}:${listener.port}${METRICS_PATH}`);
      });
      server.unref();
    },
    close() {
      return new Promise((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
      });
    },
  };
}
