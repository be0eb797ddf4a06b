// Puts @twinkle/semconv inside the agent's dist, so the packed agent needs nothing that is
// not on the npm registry: semconv is a workspace package of this repository, never
// published. Its compiled names (dist/*.js and *.d.ts, from `tsc -b`) are copied to
// dist/semconv/, and every `@twinkle/semconv` specifier in the agent's compiled files (a
// require in .js, an import in .d.ts) becomes the relative path to that copy. Sources keep
// importing @twinkle/semconv; this runs after tsc, before bundle.mjs, each build.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const agent = fileURLToPath(new URL('..', import.meta.url));
const dist = join(agent, 'dist');
const copy = join(dist, 'semconv');
const semconvDist = dirname(createRequire(join(agent, 'package.json')).resolve('@twinkle/semconv'));

/** What is vendored: the code and its declarations (their source maps point at semconv/src, which the agent does not ship). */
const isVendored = (name) => name.endsWith('.js') || name.endsWith('.d.ts');
const withoutSourceMapComment = (text) => text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');

rmSync(copy, { recursive: true, force: true });
mkdirSync(copy, { recursive: true });
for (const name of readdirSync(semconvDist).filter(isVendored)) {
  writeFileSync(join(copy, name), withoutSourceMapComment(readFileSync(join(semconvDist, name), 'utf8')));
}

const SPECIFIER = /(["'])@twinkle\/semconv\1/g;
const index = join(copy, 'index.js');

/** The agent's compiled files, the copy and the code cache aside. */
function* compiledFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== copy && entry.name !== '.v8-cache') yield* compiledFiles(path);
    } else if (isVendored(entry.name)) yield path;
  }
}

// tsc -b re-emits only what changed: files rewritten by an earlier build are left as they are.
for (const file of compiledFiles(dist)) {
  const text = readFileSync(file, 'utf8');
  if (!text.includes('@twinkle/semconv')) continue;
  let target = relative(dirname(file), index).split(sep).join('/');
  if (!target.startsWith('.')) target = `./${target}`;
  writeFileSync(file, text.replace(SPECIFIER, (_, quote) => `${quote}${target}${quote}`));
}
