import type { Meter } from '@opentelemetry/api';
import { METRIC_ACTIVE_HANDLES, METRIC_ACTIVE_REQUESTS } from '@twinkle/semconv';

/** Node's undocumented counters that prom-client reads; absent on some runtimes. */
interface ProcessWithActiveResources {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

/**
 * `nodejs_active_handles_total` and `nodejs_active_requests_total`: gauges of the
 * number of active libuv handles and requests, from the same `process._getActive*()`
 * calls as prom-client (so the counts match it, not `getActiveResourcesInfo()`).
 */
export function registerActiveResources(meter: Meter): void {
  const proc = process as unknown as ProcessWithActiveResources;
  const getHandles = proc._getActiveHandles;
  const getRequests = proc._getActiveRequests;
  if (typeof getHandles === 'function') {
    meter
      .createObservableGauge(METRIC_ACTIVE_HANDLES.name, { description: METRIC_ACTIVE_HANDLES.description })
      .addCallback((result) => result.observe(getHandles.call(process).length));
  }
  if (typeof getRequests === 'function') {
    meter
      .createObservableGauge(METRIC_ACTIVE_REQUESTS.name, { description: METRIC_ACTIVE_REQUESTS.description })
      .addCallback((result) => result.observe(getRequests.call(process).length));
  }
}
