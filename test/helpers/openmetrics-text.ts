/** One sample of an OpenMetrics text, with its exemplar when it has one. */
export interface OmSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly exemplar?: { readonly labels: Record<string, string>; readonly value: number; readonly timestamp?: number };
}

/** A parsed OpenMetrics exposition. */
export interface OmScrape {
  readonly text: string;
  /** Family name -> type, in order. */
  readonly types: Map<string, string>;
  readonly helps: Map<string, string>;
  readonly samples: OmSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABELS = '\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\]|\\\\.)*",?)*)\\}';
const NUMBER = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(?:${LABELS})? (${NUMBER})(?: # ${LABELS} (${NUMBER})(?: (${NUMBER}))?)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function number(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function labels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, k, v] of (s ?? '').matchAll(LABEL)) out[k] = v.replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
  return out;
}

/**
 * Parses OpenMetrics 1.0 text strictly: it must end with `# EOF`, every sample must belong
 * to the family declared before it (with the suffixes its type allows), and an exemplar
 * may follow only a histogram bucket or a counter's `_total`. Throws on anything else.
 */
export function parseOpenMetrics(text: string): OmScrape {
  if (!text.endsWith('# EOF\n')) throw new Error('OpenMetrics text does not end with "# EOF\\n"');
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: OmSample[] = [];
  let family: string | undefined;
  const lines = text.slice(0, -'# EOF\n'.length).split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith('# HELP ')) {
      const [name, ...rest] = line.slice(7).split(' ');
      helps.set(name, rest.join(' '));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (types.has(name)) throw new Error(`family ${name} declared twice`);
      types.set(name, type);
      family = name;
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment line: ${line}`);
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const name = m[1];
    const type = family === undefined ? undefined : types.get(family);
    const suffixes: Record<string, string[]> = {
      counter: ['_total', '_created'],
      histogram: ['_bucket', '_count', '_sum', '_created'],
      gauge: [''],
      unknown: [''],
    };
    if (family === undefined || type === undefined || !(suffixes[type] ?? []).some((s) => name === family + s))
      throw new Error(`sample ${name} outside its family (${family ?? 'none'} of type ${type ?? 'none'})`);
    const sample: OmSample = { name, labels: labels(m[2]), value: number(m[3]) };
    if (m[4] !== undefined) {
      if (!(name.endsWith('_bucket') || (type === 'counter' && name.endsWith('_total')))) throw new Error(`exemplar on ${name}`);
      Object.assign(sample, { exemplar: { labels: labels(m[4]), value: number(m[5]), timestamp: m[6] === undefined ? undefined : number(m[6]) } });
    }
    samples.push(sample);
  }
  return { text, types, helps, samples };
}

/** The Accept header Prometheus 2.x sends on every scrape. */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
