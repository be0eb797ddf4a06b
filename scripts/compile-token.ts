/**
 * Part of `npm run build`: compiles the Twinkle USD token (token/contracts) with the pinned
 * solc from npm, or finds the build of this exact source in token/.cache, and says which.
 */
import { loadTokenArtifact } from '@twinkle/token/artifact';

const { artifact, from, ms, file } = loadTokenArtifact();
const where = file.slice(file.indexOf('token/'));
process.stderr.write(from === 'compiled'
  ? `[token] compiled ${artifact.contractName} with solc ${artifact.compiler} in ${(ms / 1000).toFixed(1)} s; cached in ${where}\n`
  : `[token] ${artifact.contractName} unchanged: compiled output from ${where}\n`);
