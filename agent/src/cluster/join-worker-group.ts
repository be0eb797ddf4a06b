import type { Resource } from '@opentelemetry/resources';
import type { AgentConfig } from '../config.js';
import type { AgentDiag } from '../diag.js';
import type { ExemplarLookup } from '../metrics/openmetrics.js';
import type { PrometheusEndpoint } from '../metrics/prometheus.js';
import type { UndoSteps } from '../signals/signal-setup.js';
import { startClusterScrape } from './cluster-scrape.js';
import { GroupDirectory, removeDeadGroups } from './group-directory.js';
import { findWorkerGroup, isProcessAlive } from './worker-group.js';

/** How long a scrape waits for the other workers: well inside Prometheus' default scrape timeout (10 s). */
export const PEER_TIMEOUT_MS = 2000;

/**
 * When this process is a cluster worker, makes its `/metrics` answer for the whole group
 * (cluster-scrape.ts); otherwise does nothing. A failure leaves the worker answering for
 * itself, said once.
 */
export function joinWorkerGroup(
  config: Pick<AgentConfig, 'serviceName' | 'pm2'>,
  resource: Resource,
  prometheus: PrometheusEndpoint,
  exemplars: ExemplarLookup,
  diag: AgentDiag,
  undo: UndoSteps,
): void {
  try {
    // pm2 runs every cluster app through its own ProcessContainer.js: its app name tells them apart.
    const group = findWorkerGroup(`${config.serviceName}\0${config.pm2?.appName ?? process.argv[1] ?? ''}`);
    if (group === undefined) return;
    removeDeadGroups(group.root, isProcessAlive);
    const directory = new GroupDirectory(group.path);
    if (!directory.prepare()) {
      diag.warn(`cluster: ${group.path} is not private to this user; each worker answers /metrics for itself`);
      return;
    }
    const scrape = startClusterScrape({
      directory,
      id: group.id,
      resource,
      timeoutMs: PEER_TIMEOUT_MS,
      isAlive: isProcessAlive,
      onError: (message) => diag.warnOnce('cluster listen', message),
      async collectOwn() {
        const { resourceMetrics } = await prometheus.exporter.collect();
        return { resourceMetrics, exemplars };
      },
    });
    prometheus.answerFrom(scrape.collect, (err) =>
      diag.warnOnce(
        'cluster scrape',
        `cluster: a scrape of the whole group failed (${err instanceof Error ? err.message : String(err)}); it was answered for this worker alone (not logged again)`,
      ),
    );
    undo.push(() => scrape.close());
  } catch (err) {
    diag.warn(`cluster: ${err instanceof Error ? err.message : String(err)}; each worker answers /metrics for itself`);
  }
}
