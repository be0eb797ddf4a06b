/**
 * The repository stands alone: cloned into a temporary folder, no Markdown link and no path
 * in a comment, doc or config leads out of it, and every relative Markdown link (with its
 * #anchor) resolves inside the clone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** This machine's work folder and the notes kept beside the repository (spelt so that this file does not name them). */
const OUTSIDE_NAMES = new RegExp([['', 'work', ''].join('/') + '[\\w./-]+', ['MONITORING', 'GUIDE'].join('-'), ['DESIGN', 'md'].join('\\.'), ['STYLE', 'md'].join('\\.'), ['\\.\\.', 'shared\\b'].join('/')].join('|'), 'g');
const TEXT = new Set(['.md', '.ts', '.mts', '.mjs', '.cjs', '.js', '.json', '.yml', '.yaml', '.sh', '.sol', '']);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2 ... */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The targets of Markdown links and images in `text`, code spans and fenced blocks left out. */
function markdownTargets(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g), ...prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!);
}

describe('the repository, cloned on its own', () => {
  let clone: string;
  let files: string[];

  beforeAll(() => {
    clone = join(mkdtempSync(join(tmpdir(), 'twinkle-clone-')), 'repo');
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone]);
    files = execFileSync('git', ['ls-files'], { cwd: clone, encoding: 'utf8' })
      .split('\n')
      .filter((file) => file !== '' && file !== 'package-lock.json' && TEXT.has(extname(file)) && statSync(join(clone, file)).isFile());
  });
  afterAll(() => {
    if (clone) rmSync(dirname(clone), { recursive: true, force: true });
  });

  it('every relative Markdown link resolves to a file (and heading) inside the clone', () => {
    const broken: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(clone, file), 'utf8');
      for (const target of markdownTargets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const absolute = path === '' ? join(clone, file) : resolve(dirname(join(clone, file)), decodeURIComponent(path));
        if (relative(clone, absolute).startsWith(`..${sep}`) || relative(clone, absolute) === '..') broken.push(`${file}: ${target} leaves the repository`);
        else if (!existsSync(absolute)) broken.push(`${file}: ${target} does not exist`);
        else if (anchor && absolute.endsWith('.md') && !anchorsOf(readFileSync(absolute, 'utf8')).has(anchor)) broken.push(`${file}: ${target} has no such heading`);
      }
    }
    expect(files.filter((f) => f.endsWith('.md')).length).toBeGreaterThanOrEqual(4);
    expect(broken).toEqual([]);
  });

  it('no file names a path that leaves it: ../ beyond its root, this machine\'s folders, notes kept beside it', () => {
    const leaving: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(clone, file), 'utf8');
      for (const match of text.matchAll(/(?<![\w./-])((?:\.\.\/)+)([\w.@-]+(?:\/[\w.@-]*)*)/g)) {
        const absolute = resolve(dirname(join(clone, file)), match[1]! + match[2]!);
        if (relative(clone, absolute).split(sep)[0] === '..') leaving.push(`${file}: ${match[0]}`);
      }
      for (const match of text.matchAll(OUTSIDE_NAMES)) leaving.push(`${file}: ${match[0]}`);
    }
    expect(files.length).toBeGreaterThan(100);
    expect(leaving).toEqual([]);
  });
});
