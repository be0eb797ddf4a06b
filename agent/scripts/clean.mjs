// Removes what a build wrote (dist/ and tsc's build info, without which `tsc -b` would
// take an emptied dist/ for up to date), so `npm pack` packs only what this build makes:
// files of an earlier build's settings (declaration maps, renamed modules) stay out.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const agent = fileURLToPath(new URL('..', import.meta.url));
for (const path of ['dist', 'tsconfig.tsbuildinfo']) rmSync(`${agent}${path}`, { recursive: true, force: true });
