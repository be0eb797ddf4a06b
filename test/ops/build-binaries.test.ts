/**
 * otel-collector/scripts/build-binaries.sh as a person sees it: a line before and a line
 * after each build, Go's own output in a log whose path (and last lines) it prints when a
 * build fails, nothing left in the temporary folder, nothing built twice. The real builds
 * take minutes and run in npm test's set-up; here a stand-in `go` first on PATH talks as
 * go does (hundreds of `go: downloading` lines), makes what the real build makes, and leaves
 * in $TMPDIR the empty folder ocb's NewDefaultConfig leaves there (os.MkdirTemp("",
 * "otelcol-distribution"), whatever the manifest's output_path).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../otel-collector/scripts/build-binaries.sh', import.meta.url));

const FAKE_GO = `#!/bin/sh
# Talks as go does, makes what the build makes; FAKE_GO_FAIL=<subcommand> fails that one.
for i in $(seq 1 300); do echo "go: downloading example.com/module$i v1.0.$i" >&2; done
if [ "$1" = "$FAKE_GO_FAIL" ]; then echo "go: $1 failed: something real went wrong" >&2; exit 1; fi
case "$1" in
  run)
    mktemp -d "\${TMPDIR:-/tmp}/otelcol-distributionXXXXXX" >/dev/null
    mkdir -p otelcol-twinkle && printf '#!/bin/sh\\n' > otelcol-twinkle/otelcol-twinkle && chmod +x otelcol-twinkle/otelcol-twinkle ;;
  build)
    while [ "$1" != "-o" ]; do shift; done
    printf '#!/bin/sh\\n' > "$2" && chmod +x "$2" ;;
  mod) [ "$2" = "init" ] && echo "module twinkle-jaeger-build" > go.mod ;;
esac
exit 0
`;

let work: string;
let cache: string;
let temp: string;
let bin: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'build-binaries-'));
  cache = join(work, 'cache');
  temp = join(work, 'tmp');
  bin = join(work, 'bin');
  mkdirSync(temp);
  mkdirSync(bin);
  writeFileSync(join(bin, 'go'), FAKE_GO);
  chmodSync(join(bin, 'go'), 0o755);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string[];
}

function build(env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      SCRIPT,
      [],
      { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TWINKLE_BIN_CACHE: cache, TMPDIR: temp, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code), stdout, stderr: stderr.split('\n').filter(Boolean) }),
    );
  });
}

describe('build-binaries.sh', () => {
  it('says one line before and one after each build, keeps Go\'s output in a log, and leaves nothing in the temporary folder', async () => {
    const run = await build();
    expect(run.code).toBe(0);
    expect(run.stderr).toEqual([
      expect.stringMatching(/^building the Twinkle collector \(ocb v0\.161\.0\) from the Go module proxy: /),
      expect.stringMatching(new RegExp(`^built otelcol-twinkle v0\\.161\\.0 in \\d+s; its log: ${cache}/otelcol-twinkle\\.build\\.log$`)),
      expect.stringMatching(/^building Jaeger v2\.13\.0 from the Go module proxy: /),
      expect.stringMatching(new RegExp(`^built jaeger v2\\.13\\.0 in \\d+s; its log: ${cache}/jaeger\\.build\\.log$`)),
    ]);
    expect(readFileSync(join(cache, 'otelcol-twinkle.build.log'), 'utf8')).toContain('go: downloading example.com/module300');
    expect(readFileSync(join(cache, 'jaeger.build.log'), 'utf8').match(/go: downloading/g)).toHaveLength(4 * 300);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toEqual([expect.stringMatching(/^TWINKLE_COLLECTOR_BIN=.*\/otelcol-twinkle$/), expect.stringMatching(/^TWINKLE_JAEGER_BIN=.*\/jaeger$/)]);
    for (const line of lines) expect(existsSync(line.split('=')[1]!)).toBe(true);
    expect(readdirSync(temp)).toEqual([]);

    const again = await build();
    expect(again.code).toBe(0);
    expect(again.stderr).toEqual([expect.stringMatching(/^cached: .*\/otelcol-twinkle$/), expect.stringMatching(/^cached: .*\/jaeger$/)]);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('names the log and shows its last lines when a build fails, and still leaves nothing in the temporary folder', async () => {
    const run = await build({ FAKE_GO_FAIL: 'build' });
    expect(run.code).not.toBe(0);
    const log = `${cache}/jaeger.build.log`;
    expect(run.stderr.slice(0, 4)).toEqual([
      expect.stringMatching(/^building the Twinkle collector /),
      expect.stringMatching(/^built otelcol-twinkle /),
      expect.stringMatching(/^building Jaeger /),
      expect.stringMatching(new RegExp(`^building jaeger v2\\.13\\.0 failed after \\d+s \\(exit 1\\); its full log: ${log}; the last lines:$`)),
    ]);
    expect(run.stderr.slice(4)).toHaveLength(15);
    expect(run.stderr.at(-1)).toBe('  go: build failed: something real went wrong');
    expect(readFileSync(log, 'utf8')).toContain('go: build failed: something real went wrong');
    expect(existsSync(join(cache, 'binaries.env'))).toBe(false);
    expect(readdirSync(temp)).toEqual([]);
  });
});
