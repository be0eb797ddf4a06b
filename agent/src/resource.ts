import {
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { AgentConfig, ResourceDetectorName } from './config.js';

const DETECTORS: Record<ResourceDetectorName, ResourceDetector> = {
  env: envDetector,
  host: hostDetector,
  os: osDetector,
  process: processDetector,
};

/**
 * The resource of every signal: a `service.instance.id` of its own (a random UUID, as
 * OpenTelemetry's detector makes it, so the workers of one cluster are told apart; a
 * value in OTEL_RESOURCE_ATTRIBUTES wins), the detectors the config names (never a cloud
 * one, which would call a metadata address), then the service name the config settled on.
 */
export function createResource(config: Pick<AgentConfig, 'resourceDetectors' | 'serviceName'>, detect: boolean): Resource {
  const named = resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName });
  // Prometheus without target_info never shows the resource: skip the detectors' work.
  if (!detect) return named;
  const detected = detectResources({ detectors: [serviceInstanceIdDetector, ...config.resourceDetectors.map((name) => DETECTORS[name])] });
  const resource = detected.merge(named);
  // Settle the detectors' async attributes (host.id) now, so the first export or
  // scrape does not read a resource that is still pending.
  resource.waitForAsyncAttributes?.().catch(() => {});
  return resource;
}
