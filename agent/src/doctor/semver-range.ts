/**
 * Whether a version satisfies a range, for the ranges instrumentations declare in their
 * module definitions (`>=8.0.3 <9`, `^5.0.0`, `*`, alternatives with `||`). Prerelease
 * and build parts are ignored. A test holds it equal to the `semver` package on those ranges.
 */
type Triple = [number, number, number];

function parse(version: string): Triple | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
}

function compare(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function comparator(v: Triple, token: string): boolean {
  if (token === '*' || token === '' || token === 'x') return true;
  const m = /^(>=|<=|>|<|=|\^|~)?(.+)$/.exec(token);
  const bound = m && parse(m[2]);
  if (!m || !bound) return false;
  const c = compare(v, bound);
  switch (m[1]) {
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '<':
      return c < 0;
    case '^': {
      // ^1.2.3 := >=1.2.3 <2; ^0.2.3 := >=0.2.3 <0.3
      const upper: Triple = bound[0] > 0 ? [bound[0] + 1, 0, 0] : [0, bound[1] + 1, 0];
      return c >= 0 && compare(v, upper) < 0;
    }
    case '~':
      return c >= 0 && compare(v, [bound[0], bound[1] + 1, 0]) < 0;
    default:
      return c === 0;
  }
}

/** `version` satisfies `range`. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (v === undefined) return false;
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .every((token) => comparator(v, token)),
  );
}
