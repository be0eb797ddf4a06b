import type { Scrape } from './prometheus-text.js';

/** The samples of a scrape that may never go down: counters, and histograms' buckets, counts and sums. */
export function cumulativeSamples(s: Scrape): Map<string, number> {
  const out = new Map<string, number>();
  for (const sample of s.samples) {
    const family = [...s.types.keys()].find(
      (name) => sample.name === name || (s.types.get(name) === 'histogram' && /^(.*)_(bucket|count|sum)$/.exec(sample.name)?.[1] === name),
    );
    const type = family === undefined ? undefined : s.types.get(family);
    if (type !== 'counter' && type !== 'histogram') continue;
    const labels = Object.entries(sample.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    out.set(`${sample.name}{${labels}}`, sample.value);
  }
  return out;
}

/** Every counter and bucket of `before` that is lower (or gone) in `after`, as text; empty when none went backwards. */
export function wentBackwards(before: Scrape, after: Scrape): string[] {
  const next = cumulativeSamples(after);
  const out: string[] = [];
  for (const [key, value] of cumulativeSamples(before)) {
    const now = next.get(key);
    if (now === undefined || now < value) out.push(`${key}: ${value} -> ${now ?? 'gone'}`);
  }
  return out;
}
