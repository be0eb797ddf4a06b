import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { diag } from '@opentelemetry/api';
import type { MetricProducer, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { AgentDiag } from '../diag.js';
import { markAgentServer } from '../server/agent-servers.js';
import { chooseExpositionFormat, OPENMETRICS_CONTENT_TYPE } from './exposition-format.js';
import { serializeOpenMetrics, type ExemplarLookup } from './openmetrics.js';

/** The path Prometheus scrapes, on the app's port or on the dedicated listener. */
export const METRICS_PATH = '/metrics';

/** Metrics gathered from elsewhere than this process's reader alone (a cluster's workers), with a line about what they cover. */
export interface GatheredMetrics {
  readonly resourceMetrics: ResourceMetrics;
  readonly exemplars: ExemplarLookup;
  /** Written as a comment line at the top of the text format (OpenMetrics has no comments). */
  readonly note: string;
}

/** The Prometheus reader and the ways `/metrics` is answered. */
export interface PrometheusEndpoint {
  readonly exporter: PrometheusExporter;
  /**
   * Answers every scrape from `gather` from now on (a cluster scrape of the whole group).
   * If it fails, that scrape is answered from this process's own reader, said once.
   */
  answerFrom(gather: () => Promise<GatheredMetrics>, onFailure: (err: unknown) => void): void;
  /** Answers one scrape. */
  serve(req: IncomingMessage, res: ServerResponse): void;
  /** Starts the dedicated listener, when one is configured. */
  listen(listener: { host: string; port: number }, diag: AgentDiag): void;
  close(): Promise<void>;
}

/**
 * Creates the exporter as a pull reader: no server of its own, no `target_info`, no
 * `otel_scope_*` labels, so the text carries exactly the metric families of the README's table;
 * `producers` add metrics kept outside the SDK's instruments. A scrape whose `Accept`
 * prefers OpenMetrics gets OpenMetrics 1.0 with the exemplars `exemplars` finds; any
 * other gets the exporter's own text format 0.0.4, untouched.
 */
export function createPrometheusEndpoint(producers: MetricProducer[] = [], exemplars: ExemplarLookup = () => undefined): PrometheusEndpoint {
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
    metricProducers: producers,
  });
  let server: Server | undefined;
  let gather: (() => Promise<GatheredMetrics>) | undefined;
  let onGatherFailure: (err: unknown) => void = () => {};
  // Configured as the exporter configures its own, so a gathered scrape reads as a single process's.
  const serializer = new PrometheusSerializer('', false, undefined, true, true);

  const serveGathered = (from: () => Promise<GatheredMetrics>, openMetrics: boolean, req: IncomingMessage, res: ServerResponse): void => {
    from().then(
      (gathered) => {
        let body: string;
        try {
          body = openMetrics
            ? serializeOpenMetrics(gathered.resourceMetrics, gathered.exemplars)
            : `# ${gathered.note.replace(/\n/g, ' ')}\n${serializer.serialize(gathered.resourceMetrics)}`;
        } catch (err) {
          onGatherFailure(err);
          serveOwn(req, res, openMetrics);
          return;
        }
        res.statusCode = 200;
        res.setHeader('content-type', openMetrics ? OPENMETRICS_CONTENT_TYPE : 'text/plain');
        res.end(body);
      },
      (err: unknown) => {
        onGatherFailure(err);
        serveOwn(req, res, openMetrics);
      },
    );
  };

  const serveOpenMetrics = (req: IncomingMessage, res: ServerResponse): void => {
    exporter.collect().then(
      ({ resourceMetrics, errors }) => {
        if (errors.length) diag.error('PrometheusExporter: metrics collection errors', ...errors);
        let body: string;
        try {
          body = serializeOpenMetrics(resourceMetrics, exemplars);
        } catch (err) {
          // A fault of the agent's own serializer costs the scrape its exemplars, not its data.
          diag.error('twinkle: could not write OpenMetrics; answering in the text format', err);
          exporter.getMetricsRequestHandler(req, res);
          return;
        }
        res.statusCode = 200;
        res.setHeader('content-type', OPENMETRICS_CONTENT_TYPE);
        res.end(body);
      },
      (err: unknown) => {
        res.end(`# failed to export metrics: ${String(err)}`);
      },
    );
  };

  const serveOwn = (req: IncomingMessage, res: ServerResponse, openMetrics: boolean): void => {
    if (openMetrics) serveOpenMetrics(req, res);
    else exporter.getMetricsRequestHandler(req, res);
  };

  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const openMetrics = chooseExpositionFormat(req.headers.accept) === 'openmetrics';
    if (gather !== undefined) serveGathered(gather, openMetrics, req, res);
    else serveOwn(req, res, openMetrics);
  };

  return {
    exporter,
    serve,
    answerFrom(from, onFailure) {
      gather = from;
      onGatherFailure = onFailure;
    },
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
