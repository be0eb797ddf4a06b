import type { SetupFigures } from './figures.ts';
import type { MemoryResult } from './memory-phase.ts';
import type { RunResult } from './run-setup.ts';
import { BARE } from './setups.ts';
import { describeTraceCheck } from './trace-check.ts';

/** Below this share of busy time, the server core was not saturated and added CPU per request means little. */
export const SATURATED_PERCENT = 90;

/** One run's figures, beside that round's bare run, on one line (then its trace check on the next). */
export function formatRun(label: string, setup: string, run: RunResult, bare: RunResult): string[] {
  const s = run.saturation;
  const b = bare.saturation;
  const f = run.fixedRate;
  const added = 1e6 / s.requestsPerSecond - 1e6 / b.requestsPerSecond;
  const lines = [
    `${label} ${setup.padEnd(22)} ${s.requestsPerSecond.toFixed(0).padStart(6)} req/s (bare ${b.requestsPerSecond.toFixed(0)}): ` +
      `${(s.requestsPerSecond / b.requestsPerSecond).toFixed(3)} of bare, ${added >= 0 ? '+' : ''}${added.toFixed(1)} µs/req, ` +
      `core ${s.busyPercent.toFixed(0)}%${s.stealPercent >= 1 ? ` (steal ${s.stealPercent.toFixed(0)}%)` : ''}, p99 ${s.p99Ms.toFixed(2)} ms | ` +
      `at ${f.rate} req/s: p99 ${f.lowerBound ? '>= ' : ''}${f.p99Ms.toFixed(2)} ms (bare ${bare.fixedRate.p99Ms.toFixed(2)}), ` +
      `served ${f.achievedRate.toFixed(0)}/s | start ${run.startupMs.toFixed(0)} ms (bare ${bare.startupMs.toFixed(0)}) | rss ${run.rssMb.toFixed(0)} MB` +
      `${s.non2xx + f.non2xx > 0 ? ` | non-2xx ${s.non2xx + f.non2xx}` : ''}${f.errors > 0 ? ` | errors ${f.errors}` : ''}`,
  ];
  if (s.busyPercent < SATURATED_PERCENT) lines.push(`${label} WARNING: the server core was ${s.busyPercent.toFixed(0)}% busy under saturation load (< ${SATURATED_PERCENT}%): its added CPU per request is not comparable`);
  if (run.traces) lines.push(`${label} ${setup.padEnd(22)} ${describeTraceCheck(run.traces)}`);
  return lines;
}

/** The markdown table of one shape: a row per setup, bare first. */
export function formatShapeTable(title: string, figures: ReadonlyMap<string, SetupFigures>): string[] {
  const bare = figures.get(BARE)!;
  const lines = [
    `### ${title}`,
    '',
    `| setup | req/s | vs bare | added CPU µs per request | server core busy % (lowest round) | start-up to first 200 ms | vs bare | p99 ms at saturation | p99 ms at ${bare.fixedRate.toFixed(0)} req/s (half of bare) | vs bare ms | RSS after load MB |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, f] of figures) {
    const busy = `${f.minBusyPercent.toFixed(0)}${f.minBusyPercent < SATURATED_PERCENT ? ' (!)' : ''}`;
    const p99Rate = `${f.fixedRateOverloaded ? '>= ' : ''}${f.p99FixedRateMs.toFixed(2)}`;
    lines.push(
      `| ${name} | ${f.rps.toFixed(0)} | ${f.ratio.toFixed(2)} | ${signed(f.addedCpuUs, 1)} | ${busy} | ${f.startupMs.toFixed(0)} | ${f.startupRatio.toFixed(2)} x | ` +
        `${f.p99SaturationMs.toFixed(2)} | ${p99Rate} | ${signed(f.p99FixedRateDiffMs, 2)} | ${f.rssMb.toFixed(0)} |`,
    );
  }
  const notes: string[] = [];
  if ([...figures.values()].some((f) => f.minBusyPercent < SATURATED_PERCENT)) notes.push(`(!) the server core was under ${SATURATED_PERCENT}% busy in some round: added CPU per request is not reliable there.`);
  if ([...figures.values()].some((f) => f.fixedRateOverloaded)) notes.push('>= the setup fell behind the fixed rate in some round (requests queued at the client): that p99 is a lower bound.');
  return notes.length > 0 ? [...lines, '', ...notes] : lines;
}

/** The memory phase: RSS over the sustained load, per setup, and the final reading against bare's. */
export function formatMemoryTable(seconds: number, results: ReadonlyMap<string, MemoryResult>): string[] {
  const bare = results.get(BARE)?.finalRssMb;
  const lines = [
    `### RSS under ${seconds} s of sustained saturation load (service shape)`,
    '',
    '| setup | req/s | RSS MB over time | final RSS MB | vs bare MB |',
    '| --- | ---: | --- | ---: | ---: |',
  ];
  for (const [name, r] of results) {
    const series = r.series.map((p) => `${p.seconds} s: ${p.rssMb.toFixed(0)}`).join(', ');
    lines.push(`| ${name} | ${r.requestsPerSecond.toFixed(0)} | ${series} | ${r.finalRssMb.toFixed(0)} | ${bare === undefined ? '' : signed(r.finalRssMb - bare, 0)} |`);
  }
  return lines;
}

function signed(v: number, digits: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
}
