/**
 * Metric names a PromQL expression selects, by a small tokenizer rather than a full
 * parser: it drops strings, label matchers `{...}`, grouping label lists
 * (`by (...)`, `on (...)`, ...), ranges `[...]`, Grafana variables (`$job`,
 * `${datasource}`) and numbers, then keeps every identifier that is not a function
 * call or a keyword.
 */

const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
const KEYWORDS = new Set([
  'and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
]);
const IDENTIFIER = /(?<![\w.])[a-zA-Z_:][\w:]*/g;

/** The distinct metric names `expr` selects, in order of first use. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(GROUPING, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    // `offset 5m`, `@ 1700000000`: the duration or time after them is no name.
    .replace(/\boffset\s+-?\w+|@\s*[\w.()]+/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(IDENTIFIER)) {
    const name = match[0];
    const rest = stripped.slice(match.index + name.length);
    if (KEYWORDS.has(name) || /^\s*\(/.test(rest)) continue;
    names.add(name);
  }
  return [...names];
}
