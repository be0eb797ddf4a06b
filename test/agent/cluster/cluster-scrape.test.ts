import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startClusterScrape, type ClusterScrape, type OwnMetrics } from '../../../agent/src/cluster/cluster-scrape.js';
import { GroupDirectory } from '../../../agent/src/cluster/group-directory.js';
import type { WorkerSnapshot } from '../../../agent/src/cluster/worker-snapshot.js';

/** What one worker's reader collects: `http_requests_total` at `requests`. */
function ownMetrics(requests: number): OwnMetrics {
  const resourceMetrics: ResourceMetrics = {
    resource: resourceFromAttributes({}),
    scopeMetrics: [
      {
        scope: { name: 'test' },
        metrics: [
          {
            descriptor: { name: 'http_requests_total', description: '', unit: '', valueType: ValueType.DOUBLE },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.SUM,
            isMonotonic: true,
            dataPoints: [{ attributes: {}, startTime: [0, 0], endTime: [0, 0], value: requests }],
          },
        ],
      },
    ],
  };
  return { resourceMetrics, exemplars: () => undefined };
}

function requestsIn(resourceMetrics: ResourceMetrics): number | undefined {
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'http_requests_total');
  return metric?.dataPoints.reduce((sum, p) => sum + (p.value as number), 0);
}

describe('startClusterScrape', () => {
  let dir: string | undefined;
  let scrape: ClusterScrape | undefined;
  let peer: ClusterScrape | undefined;
  afterEach(() => {
    scrape?.close();
    peer?.close();
    peer = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    scrape = undefined;
    dir = undefined;
  });

  it('counts a worker that a scrape running beside it adopted while it waited for a peer', async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinkle-group-'));
    const options = {
      resource: resourceFromAttributes({}),
      timeoutMs: 5000,
      isAlive: (pid: number) => pid === process.pid,
      onError: (message: string) => {
        throw new Error(message);
      },
    };
    // Two live workers of one group (both in this process, each with its own socket); the
    // peer's first answer waits until the test lets it go.
    scrape = startClusterScrape({ ...options, directory: new GroupDirectory(dir), id: `${process.pid}-aa`, collectOwn: () => Promise.resolve(ownMetrics(5)) });
    const held: Array<() => void> = [];
    let peerCalls = 0;
    peer = startClusterScrape({
      ...options,
      directory: new GroupDirectory(dir),
      id: `${process.pid}-bb`,
      collectOwn: () => (++peerCalls === 1 ? new Promise<OwnMetrics>((resolve) => held.push(() => resolve(ownMetrics(3)))) : Promise.resolve(ownMetrics(3))),
    });
    // A third worker that was SIGKILLed: its file is there, no socket answers for it.
    const dead: WorkerSnapshot = {
      id: '999999-dd',
      pid: 999999,
      seq: 7,
      members: ['999999-dd'],
      adopted: 0,
      families: [{ name: 'http_requests_total', description: '', kind: 'counter', points: [{ attributes: {}, value: 40 }] }],
    };
    new GroupDirectory(dir).writeOwn(dead.id, JSON.stringify(dead));

    // The first scrape has its own counts and the folder's listing, and waits for the peer.
    const first = scrape.collect();
    await vi.waitFor(() => expect(held).toHaveLength(1));
    // A second scrape of the same worker (two Prometheus replicas) adopts the dead worker and removes its file.
    const second = await scrape.collect();
    expect(requestsIn(second.resourceMetrics)).toBe(48);
    expect(new GroupDirectory(dir).list().files.map((f) => f.id).sort()).toEqual([`${process.pid}-aa`, `${process.pid}-bb`]);
    // The first goes on: the dead worker's file is gone, its counts are in this worker's own now.
    held.forEach((release) => release());
    const result = await first;
    expect(requestsIn(result.resourceMetrics)).toBe(48);
  });
});
