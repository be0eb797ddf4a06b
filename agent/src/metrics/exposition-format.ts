/** The two answers `/metrics` can give. */
export type ExpositionFormat = 'openmetrics' | 'text';

/** What an OpenMetrics answer is sent as. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** How well one media range of the header matches a format: its q, and how specific it was (2 exact, 1 type/*, 0 *\/*). */
interface Match {
  q: number;
  specificity: number;
}

const NONE: Match = { q: 0, specificity: -1 };

/**
 * Chooses the format of a scrape from its `Accept` header by the header's own preference
 * (RFC 9110 content negotiation): each format gets the q of the most specific media range
 * that matches it, and the higher q wins. OpenMetrics is `application/openmetrics-text`
 * with no version or version 1.0.0 (what the agent writes); the text format is
 * `text/plain` of any version (0.0.4 is what the agent writes; Prometheus 3's
 * `version=1.0.0` reads it). A tie goes to the format the header named more specifically,
 * then to the text format, so `*\/*`, no header, a malformed header or an unknown version
 * all get the text format 0.0.4. Never throws.
 */
export function chooseExpositionFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept.length === 0) return 'text';
  let openMetrics = NONE;
  let text = NONE;
  // A header longer than any real one is not read past its first 4 KiB.
  for (const range of accept.slice(0, 4096).split(',')) {
    const parsed = parseRange(range);
    if (parsed === undefined) continue;
    const { type, subtype, params, q } = parsed;
    openMetrics = better(openMetrics, matchOpenMetrics(type, subtype, params, q));
    text = better(text, matchText(type, subtype, q));
  }
  if (openMetrics.q > text.q) return 'openmetrics';
  if (openMetrics.q === text.q && openMetrics.q > 0 && openMetrics.specificity > text.specificity) return 'openmetrics';
  return 'text';
}

/** The more specific match; of two equally specific ones (two versions of text/plain), the higher q. */
function better(a: Match, b: Match): Match {
  if (b.specificity !== a.specificity) return b.specificity > a.specificity ? b : a;
  return b.q > a.q ? b : a;
}

function matchOpenMetrics(type: string, subtype: string, params: Map<string, string>, q: number): Match {
  if (type === '*' && subtype === '*') return { q, specificity: 0 };
  if (type !== 'application') return NONE;
  if (subtype === '*') return { q, specificity: 1 };
  if (subtype !== 'openmetrics-text') return NONE;
  const version = params.get('version');
  if (version !== undefined && version !== '1.0.0') return NONE;
  return { q, specificity: 2 };
}

function matchText(type: string, subtype: string, q: number): Match {
  if (type === '*' && subtype === '*') return { q, specificity: 0 };
  if (type !== 'text') return NONE;
  if (subtype === '*') return { q, specificity: 1 };
  if (subtype !== 'plain') return NONE;
  return { q, specificity: 2 };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** One media range, `type/subtype;k=v;q=0.5`; undefined when it is not one (then it is skipped). */
function parseRange(range: string): { type: string; subtype: string; params: Map<string, string>; q: number } | undefined {
  const parts = range.split(';');
  const media = parts[0].trim().toLowerCase();
  const slash = media.indexOf('/');
  if (slash <= 0) return undefined;
  const type = media.slice(0, slash);
  const subtype = media.slice(slash + 1);
  if (!TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i].trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) return undefined;
    const key = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key === 'q') {
      if (!QVALUE.test(value)) return undefined;
      q = Number(value);
    } else params.set(key, value);
  }
  return { type, subtype, params, q };
}
