import { resourceFromAttributes } from '@opentelemetry/resources';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { describe, expect, it } from 'vitest';
import { combineSnapshots } from '../../../agent/src/cluster/combine-snapshots.js';
import type { SnapshotFamily, WorkerSnapshot } from '../../../agent/src/cluster/worker-snapshot.js';
import { parsePrometheusText, samplesOf, valueOf } from '../../helpers/prometheus-text.js';

const route = { method: 'GET', route: '/payments/:id', status_code: '200' };

function worker(pid: number, families: SnapshotFamily[], extra: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  return { id: `${pid}-aa`, pid, seq: 1, members: [`${pid}-aa`], adopted: 0, families, ...extra };
}

function families(requests: number, rssBytes: number, lagSeconds: number, exemplarAt?: number): SnapshotFamily[] {
  return [
    { name: 'http_requests_total', description: 'Total number of HTTP requests', kind: 'counter', points: [{ attributes: { ...route }, value: requests }] },
    {
      name: 'http_request_duration_seconds',
      description: 'Duration of HTTP requests in seconds',
      kind: 'histogram',
      boundaries: [0.1, 1],
      points: [
        {
          attributes: { ...route },
          counts: [requests, 0, 0],
          count: requests,
          sum: requests * 0.01,
          exemplars: exemplarAt === undefined ? undefined : [{ traceId: `t${exemplarAt}`, spanId: `s${exemplarAt}`, value: 0.01, timeMs: exemplarAt }, null, null],
        },
      ],
    },
    { name: 'process_resident_memory_bytes', description: 'Resident memory size in bytes.', kind: 'gauge', points: [{ attributes: {}, value: rssBytes }] },
    { name: 'nodejs_eventloop_lag_seconds', description: 'Lag of event loop in seconds.', kind: 'gauge', points: [{ attributes: {}, value: lagSeconds }] },
    { name: 'app_queue_depth', description: 'An app gauge the agent knows nothing of.', kind: 'gauge', points: [{ attributes: {}, value: rssBytes / 1e6 }] },
  ];
}

const serializer = new PrometheusSerializer('', false, undefined, true, true);
const text = (parts: Parameters<typeof combineSnapshots>[0]) => {
  const combined = combineSnapshots(parts, resourceFromAttributes({}));
  return { scrape: parsePrometheusText(serializer.serialize(combined.resourceMetrics)), combined };
};

describe('combineSnapshots', () => {
  it('sums counters and buckets, sums memory, keeps the worst lag, and keeps an unknown gauge per worker', () => {
    const { scrape } = text({ answered: [worker(1, families(10, 100e6, 0.002)), worker(2, families(5, 50e6, 0.009))], missing: [], missingPids: [], exited: [], exitedCount: 0 });
    expect(valueOf(scrape, 'http_requests_total')).toBe(15);
    expect(valueOf(scrape, 'http_request_duration_seconds_bucket', { le: '0.1' })).toBe(15);
    expect(valueOf(scrape, 'http_request_duration_seconds_count')).toBe(15);
    expect(valueOf(scrape, 'process_resident_memory_bytes')).toBe(150e6);
    expect(valueOf(scrape, 'nodejs_eventloop_lag_seconds')).toBe(0.009);
    expect(samplesOf(scrape, 'app_queue_depth').map((s) => [s.labels.pid, s.value])).toEqual([['1', 100], ['2', 50]]);
    expect(valueOf(scrape, 'twinkle_cluster_workers', { state: 'answered' })).toBe(2);
  });

  it("counts a missing or exited worker's counters and buckets but none of its gauges", () => {
    const { scrape } = text({
      answered: [worker(1, families(10, 100e6, 0.002))],
      missing: [worker(2, families(5, 50e6, 0.5))],
      missingPids: [3],
      exited: [worker(4, families(7, 70e6, 0.7), { adopted: 2 })],
      exitedCount: 3,
    });
    expect(valueOf(scrape, 'http_requests_total')).toBe(22);
    expect(valueOf(scrape, 'http_request_duration_seconds_bucket', { le: '+Inf' })).toBe(22);
    expect(valueOf(scrape, 'process_resident_memory_bytes')).toBe(100e6);
    expect(valueOf(scrape, 'nodejs_eventloop_lag_seconds')).toBe(0.002);
    expect(samplesOf(scrape, 'app_queue_depth').map((s) => s.labels.pid)).toEqual(['1']);
    expect(samplesOf(scrape, 'twinkle_cluster_worker_up').map((s) => [s.labels.pid, s.value])).toEqual([['1', 1], ['2', 0], ['3', 0]]);
    expect(valueOf(scrape, 'twinkle_cluster_workers', { state: 'missing' })).toBe(2);
    expect(valueOf(scrape, 'twinkle_cluster_workers', { state: 'exited' })).toBe(3);
  });

  it('takes the latest exemplar of a bucket from whichever worker holds it', () => {
    const { combined } = text({ answered: [worker(1, families(1, 1, 0, 1000)), worker(2, families(1, 1, 0, 2000))], missing: [], missingPids: [], exited: [], exitedCount: 0 });
    const histogram = combined.resourceMetrics.scopeMetrics[0].metrics.find((m) => m.descriptor.name === 'http_request_duration_seconds')!;
    const exemplars = combined.exemplars('http_request_duration_seconds', histogram.dataPoints[0].attributes);
    expect(exemplars?.[0]?.traceId).toBe('t2000');
    expect(exemplars?.[1]).toBeUndefined();
  });

  it('leaves out a histogram whose buckets differ from the first worker seen, rather than adding it wrongly', () => {
    const other = families(5, 1, 0);
    (other[1] as { boundaries: number[] }).boundaries = [0.5, 1];
    const { scrape } = text({ answered: [worker(1, families(10, 1, 0)), worker(2, other)], missing: [], missingPids: [], exited: [], exitedCount: 0 });
    expect(valueOf(scrape, 'http_request_duration_seconds_count')).toBe(10);
    expect(valueOf(scrape, 'http_requests_total')).toBe(15);
  });
});
