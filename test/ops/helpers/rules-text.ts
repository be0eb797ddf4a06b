/** One rule of a Prometheus rules file: its alert or record name and its expression. */
export interface RuleText {
  name: string;
  expr: string;
}

/**
 * The rules of a Prometheus rules file, read from its text. `expr:` is a plain or
 * quoted scalar on its line, or a `|` / `>` block scalar on the lines indented below
 * it; the rule's name is the `alert:` or `record:` above it. Enough for rule files
 * written that way (promtool checks the YAML itself).
 */
export function rulesInText(yamlText: string): RuleText[] {
  const lines = yamlText.split('\n');
  const rules: RuleText[] = [];
  let name = '';
  lines.forEach((line, i) => {
    const named = /^\s*(?:-\s+)?(?:alert|record):\s*(\S+)/.exec(line);
    if (named) name = named[1];
    const match = /^(\s*)(?:-\s+)?expr:\s*(.*?)\s*$/.exec(line);
    if (!match) return;
    const [, indent, value] = match;
    if (!/^[|>][-+]?$/.test(value)) {
      rules.push({ name, expr: value.replace(/^(["'])(.*)\1$/, '$2') });
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent.length) break;
      block.push(next.trim());
    }
    rules.push({ name, expr: block.join('\n').trim() });
  });
  return rules;
}

/** The series of a promtool unit-test file (`series: '...'` under `input_series`). */
export function seriesInText(yamlText: string): string[] {
  return [...yamlText.matchAll(/^\s*-?\s*series:\s*(["'])(.*)\1\s*$/gm)].map((match) => match[2]);
}
