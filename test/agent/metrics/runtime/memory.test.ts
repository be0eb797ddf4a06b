import { describe, expect, it } from 'vitest';
import { _parseProcStatus } from '../../../../agent/src/metrics/runtime/memory.js';

describe('_parseProcStatus', () => {
  it('reads VmRSS and VmData in bytes, as prom-client does', () => {
    const text = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmData:\t  204800 kB\nVmRSS:\t   51200 kB\n';
    expect(_parseProcStatus(text)).toEqual({ rss: 51200 * 1024, data: 204800 * 1024 });
  });

  it('returns undefined when a field is missing', () => {
    expect(_parseProcStatus('VmRSS:\t1 kB\n')).toBeUndefined();
  });
});
