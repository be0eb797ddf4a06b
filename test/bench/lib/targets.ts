import type { SetupFigures } from './figures.ts';
import { AGENT_OFF, AGENT_TRACED, BARE, DD_TRACE, PROM_CLIENT, type Shape } from './setups.ts';

/** One target of issue 10, checked: ok is undefined when a setup it needs did not run. */
export interface TargetCheck {
  readonly ok: boolean | undefined;
  readonly text: string;
}

const SHAPE_LABEL: Record<Shape, string> = { bare: 'bare routes', service: 'service' };

/**
 * The targets of issue 10 on one shape's figures: added CPU against prom-client's (traces
 * off) and dd-trace's (traced), throughput ratios, p99 at the fixed half-capacity rate, and
 * start-up, each with the figures it compares and, when missed, by how much.
 */
export function checkShapeTargets(shape: Shape, figures: ReadonlyMap<string, SetupFigures>): TargetCheck[] {
  const off = figures.get(AGENT_OFF);
  const traced = figures.get(AGENT_TRACED);
  const prom = figures.get(PROM_CLIENT);
  const dd = figures.get(DD_TRACE);
  const bare = figures.get(BARE);
  const at = `[${SHAPE_LABEL[shape]}]`;
  const us = (v: number): string => `${v.toFixed(1)} µs`;
  return [
    atMost(`${at} ${AGENT_OFF}: added CPU <= prom-client's (floor)`, off?.addedCpuUs, prom?.addedCpuUs, us),
    atMost(`${at} ${AGENT_OFF}: added CPU <= half of prom-client's (goal)`, off?.addedCpuUs, prom && prom.addedCpuUs / 2, us),
    atLeast(`${at} ${AGENT_OFF}: throughput >= 0.85 of bare`, off?.ratio, 0.85),
    atMost(`${at} ${AGENT_TRACED}: added CPU <= half of dd-trace's (floor)`, traced?.addedCpuUs, dd && dd.addedCpuUs / 2, us),
    atMost(`${at} ${AGENT_TRACED}: added CPU <= a third of dd-trace's (goal)`, traced?.addedCpuUs, dd && dd.addedCpuUs / 3, us),
    atLeast(`${at} ${AGENT_TRACED}: throughput >= 0.55 of bare`, traced?.ratio, 0.55),
    atMost(
      `${at} ${AGENT_TRACED}: p99 at ${bare ? bare.fixedRate.toFixed(0) : '?'} req/s (half of bare's capacity) <= bare's + 1 ms` +
        (traced?.fixedRateOverloaded ? ' (it fell behind that rate in some round: a lower bound)' : ''),
      traced?.p99FixedRateMs,
      bare && bare.p99FixedRateMs + 1,
      (v) => `${v.toFixed(2)} ms`,
    ),
    atMost(`${at} ${AGENT_OFF}: start-up <= 1.5 x bare's`, off?.startupRatio, 1.5, (v) => `${v.toFixed(2)} x`),
    atMost(`${at} ${AGENT_TRACED}: start-up <= 2 x bare's`, traced?.startupRatio, 2, (v) => `${v.toFixed(2)} x`),
  ];
}

/** The RSS targets on the memory phase's final readings (service shape). */
export function checkRssTargets(finalRssMb: ReadonlyMap<string, number>, seconds: number): TargetCheck[] {
  const bare = finalRssMb.get(BARE);
  const delta = (name: string): number | undefined => {
    const rss = finalRssMb.get(name);
    return rss === undefined || bare === undefined ? undefined : rss - bare;
  };
  const mb = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(0)} MB`;
  return [
    atMost(`[service] ${AGENT_OFF}: RSS after ${seconds} s of load <= bare + 60 MB`, delta(AGENT_OFF), 60, mb),
    atMost(`[service] ${AGENT_TRACED}: RSS after ${seconds} s of load <= bare + 100 MB`, delta(AGENT_TRACED), 100, mb),
  ];
}

function atMost(label: string, value: number | undefined, limit: number | undefined, format: (v: number) => string = (v) => v.toFixed(2)): TargetCheck {
  if (value === undefined || limit === undefined || Number.isNaN(value) || Number.isNaN(limit)) return { ok: undefined, text: `${label}: not measured (a setup it needs did not run)` };
  const ok = value <= limit;
  return { ok, text: `${label}: ${format(value)} against ${format(limit)}${ok ? '' : `, over by ${format(value - limit).replace(/^\+/, '')}`}` };
}

function atLeast(label: string, value: number | undefined, limit: number): TargetCheck {
  if (value === undefined || Number.isNaN(value)) return { ok: undefined, text: `${label}: not measured (a setup it needs did not run)` };
  const ok = value >= limit;
  return { ok, text: `${label}: ${value.toFixed(3)}${ok ? '' : `, short by ${(limit - value).toFixed(3)}`}` };
}

/** "MET  text", "MISS text" or "n/a  text". */
export function formatTarget(t: TargetCheck): string {
  return `${t.ok === undefined ? 'n/a ' : t.ok ? 'MET ' : 'MISS'} ${t.text}`;
}
