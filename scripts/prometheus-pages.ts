/**
 * Where a running Prometheus shows its targets and alerts. Prometheus 3 (and upstream 2.x)
 * serve them at `/targets` and `/alerts`; Debian's 2.42, which `.ci/setup.sh` installs, is
 * built without the React UI and answers those with 404, serving the classic pages at
 * `/classic/targets` and `/classic/alerts`. Each page is probed, so a link printed is one
 * that answered.
 */
import { answersOk } from './process-group.ts';

/** The URLs of the targets and alerts pages that answered 200 (the first of each pair). */
export interface PrometheusPages {
  readonly targets: string;
  readonly alerts: string;
}

async function firstAnswering(urls: readonly string[]): Promise<string> {
  for (const url of urls) if (await answersOk(url).catch(() => false)) return url;
  throw new Error(`none of ${urls.join(', ')} answered`);
}

/** Probes `/targets` then `/classic/targets` (and the same for alerts) on `base`. */
export async function findPrometheusPages(base: string): Promise<PrometheusPages> {
  const [targets, alerts] = await Promise.all(['targets', 'alerts'].map((page) => firstAnswering([`${base}/${page}`, `${base}/classic/${page}`])));
  return { targets: targets!, alerts: alerts! };
}
