import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);
const SOURCE_FILE = fileURLToPath(new URL('../contracts/TwinkleUSD.sol', import.meta.url));
const SOURCE_NAME = 'TwinkleUSD.sol';
const CONTRACT = 'TwinkleUSD';
/** Gitignored; one file per key, so a changed source or compiler never reads a stale build. */
const CACHE_DIR = fileURLToPath(new URL('../.cache/', import.meta.url));

/** The compiler settings; part of the cache key. */
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // Pinned rather than the compiler's default (which follows the newest fork) so the same
  // bytecode runs on Anvil and on chains a fork or two behind.
  evmVersion: 'cancun',
  outputSelection: { [SOURCE_NAME]: { [CONTRACT]: ['abi', 'evm.bytecode.object'] } },
} as const;

/** The compiled token: what a deployment needs. */
export interface TokenArtifact {
  readonly contractName: string;
  readonly abi: Abi;
  readonly bytecode: Hex;
  /** solc's full version string, e.g. `0.8.37+commit.….Emscripten.clang`. */
  readonly compiler: string;
  /** The cache key it was stored under (sha-256 of compiler, library, source and settings). */
  readonly key: string;
}

/** How `loadTokenArtifact` got the artifact. */
export interface LoadedArtifact {
  readonly artifact: TokenArtifact;
  /** `cache` when a build for this exact input was on disk, else `compiled`. */
  readonly from: 'cache' | 'compiled';
  /** Milliseconds spent (loading the compiler and compiling, or reading the cache). */
  readonly ms: number;
  readonly file: string;
}

/** solc reported errors (not warnings) for the token's source. */
export class TokenCompileError extends Error {
  override readonly name = 'TokenCompileError';
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

/**
 * The compiled Twinkle USD token. Compiled with the `solc` package pinned in
 * token/package.json (the official compiler built to JavaScript, from npm: nothing is
 * downloaded) against the pinned `@openzeppelin/contracts`, and cached in token/.cache
 * under a key of the compiler and library versions, the source and the settings: a
 * changed source is compiled again, an unchanged one is read back in milliseconds.
 * `sourceFile` and `cacheDir` point elsewhere (a test compiling a changed copy).
 */
export function loadTokenArtifact(options: { sourceFile?: string; cacheDir?: string } = {}): LoadedArtifact {
  const started = performance.now();
  const cacheDir = options.cacheDir ?? CACHE_DIR;
  const source = readFileSync(options.sourceFile ?? SOURCE_FILE, 'utf8');
  const solcVersion = packageVersion('solc');
  const key = createHash('sha256')
    .update(JSON.stringify({ solc: solcVersion, openzeppelin: packageVersion('@openzeppelin/contracts'), source, settings: SETTINGS }))
    .digest('hex')
    .slice(0, 24);
  const file = join(cacheDir, `${CONTRACT}-${key}.json`);
  try {
    const artifact = JSON.parse(readFileSync(file, 'utf8')) as TokenArtifact;
    return { artifact, from: 'cache', ms: performance.now() - started, file };
  } catch {
    // Not built for this input yet (or a partial file from an older layout): compile.
  }
  const artifact = compile(source, key);
  mkdirSync(cacheDir, { recursive: true });
  // Written under a temporary name and renamed, so a concurrent reader never sees half a file.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(artifact));
  renameSync(temporary, file);
  return { artifact, from: 'compiled', ms: performance.now() - started, file };
}

interface SolcOutput {
  errors?: Array<{ severity: 'error' | 'warning' | 'info'; formattedMessage: string }>;
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

function compile(source: string, key: string): TokenArtifact {
  // Loaded only on a cache miss: the compiler is 9 MB of JavaScript and WebAssembly.
  const solc = require('solc') as { compile(input: string, callbacks: { import(path: string): { contents: string } | { error: string } }): string; version(): string };
  const input = { language: 'Solidity', sources: { [SOURCE_NAME]: { content: source } }, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: readImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new TokenCompileError(`solc ${solc.version()} could not compile ${SOURCE_NAME}:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts?.[SOURCE_NAME]?.[CONTRACT];
  if (contract === undefined) throw new TokenCompileError(`solc produced no ${CONTRACT} contract`);
  return { contractName: CONTRACT, abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}`, compiler: solc.version(), key };
}

/** solc's import callback: library sources come from node_modules (`@openzeppelin/contracts/...`). */
function readImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(path), 'utf8') };
  } catch {
    return { error: `${path} not found in node_modules` };
  }
}
