import { execFile } from 'node:child_process';

/** One sample line of the Prometheus text format. */
export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A parsed scrape: families by name (HELP, TYPE) and every sample. */
export interface Scrape {
  readonly text: string;
  readonly types: Map<string, string>;
  readonly helps: Map<string, string>;
  readonly samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus exposition text strictly: a line it cannot read throws. */
export function parsePrometheusText(text: string): Scrape {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const [name, ...rest] = line.slice(7).split(' ');
      helps.set(name, rest.join(' '));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key] = value.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value in: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return { text, types, helps, samples };
}

/** GETs `/metrics` and parses it. */
export async function scrape(baseUrl: string, path = '/metrics'): Promise<Scrape> {
  const res = await fetch(baseUrl + path);
  if (res.status !== 200) throw new Error(`scrape ${baseUrl}${path}: ${res.status}`);
  return parsePrometheusText(await res.text());
}

/** The samples named `name` whose labels include `labels`. */
export function samplesOf(s: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return s.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
}

/** The value of the one sample that matches, or undefined. */
export function valueOf(s: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samplesOf(s, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** The number of distinct series in a scrape. */
export function seriesCount(s: Scrape): number {
  return s.samples.length;
}

/** Runs `promtool check metrics` on the text; resolves with its exit code and complaint lines. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number; problems: string[] }> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      const problems = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
      resolve({ code: err ? (err.code as number) : 0, problems });
    });
    child.stdin!.end(text);
  });
}
