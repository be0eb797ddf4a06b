import { cpus, loadavg, totalmem } from 'node:os';

/** One line that says what the numbers were measured on. */
export function describeMachine(loadTool: string): string {
  const cpu = cpus();
  return [
    `node ${process.version}`,
    `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `load generator ${loadTool}`,
  ].join(', ');
}
