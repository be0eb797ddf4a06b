import { cpus, loadavg, totalmem } from 'node:os';

/** One line that says what the numbers were measured on and with. */
export function describeMachine(loadTools: { saturation: string; fixedRate: string }): string {
  const cpu = cpus();
  return [
    `node ${process.version}`,
    `${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `saturation load ${loadTools.saturation}`,
    `fixed-rate load ${loadTools.fixedRate}`,
  ].join(', ');
}
