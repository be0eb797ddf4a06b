/**
 * Both services under `node --import @twinkle/agent`, as `npm start` and `npm run up` run
 * them: the API (default :3000) and the Facilitator (default :3001), their logs on this
 * terminal, each awaited until its `/health` answers.
 */
import { join } from 'node:path';
import type { ProcessGroup } from './process-group.ts';
import { ROOT } from './stack-components.ts';

export interface ServicePorts {
  readonly api: string;
  readonly facilitator: string;
}

/** Starts both services with `env` over this process's environment; resolves with each one's health status. */
export async function startServices(group: ProcessGroup, ports: ServicePorts, env: Record<string, string | undefined>): Promise<{ api: string; facilitator: string }> {
  const start = (name: string, dir: string, port: string, extra: Record<string, string>): void => {
    group.start(name, process.execPath, ['--import', '@twinkle/agent', join(ROOT, dir, 'dist/server.js')], {
      cwd: ROOT,
      env: { ...env, OTEL_SERVICE_NAME: `twinkle-${name}`, PORT: port, ...extra },
      // The facilitator waits up to 30 s for settlements in flight (SHUTDOWN_TIMEOUT_MS).
      graceMs: 40_000,
    });
  };
  start('api', 'services/api', ports.api, { FACILITATOR_URL: env.FACILITATOR_URL ?? `http://127.0.0.1:${ports.facilitator}` });
  start('facilitator', 'services/facilitator', ports.facilitator, {});
  const [api, facilitator] = await Promise.all([health(`http://127.0.0.1:${ports.api}/health`), health(`http://127.0.0.1:${ports.facilitator}/health`)]);
  return { api, facilitator };
}

async function health(url: string): Promise<string> {
  for (let i = 0; i < 150; i++) {
    try {
      const body = (await (await fetch(url, { signal: AbortSignal.timeout(2000) })).json()) as { status?: string };
      return body.status ?? 'unknown';
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return 'not answering';
}
