import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseExpositionFormat } from '../../../agent/src/metrics/exposition-format.js';
import { PROMETHEUS_ACCEPT } from '../../helpers/openmetrics-text.js';

describe('chooseExpositionFormat', () => {
  it.each([
    // What scrapers send
    ['Prometheus 2.x', PROMETHEUS_ACCEPT, 'openmetrics'],
    [
      'Prometheus 3.x',
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      'openmetrics',
    ],
    ['Prometheus with scrape_protocols: [PrometheusText0.0.4]', 'text/plain;version=0.0.4;q=1,*/*;q=0.1', 'text'],
    ['curl', '*/*', 'text'],
    ['no header', undefined, 'text'],
    ['empty', '', 'text'],
    ['OpenMetrics without a version', 'application/openmetrics-text', 'openmetrics'],
    // Both listed, with q-values: the higher wins, whichever comes first
    ['text first, OpenMetrics preferred', 'text/plain;version=0.0.4;q=0.5, application/openmetrics-text;version=1.0.0;q=0.9', 'openmetrics'],
    ['OpenMetrics first, text preferred', 'application/openmetrics-text;version=1.0.0;q=0.2,text/plain;q=0.8', 'text'],
    ['equal q: the one named over the wildcard', 'application/openmetrics-text;q=0.5,*/*;q=0.5', 'openmetrics'],
    ['equal q, both named: text', 'application/openmetrics-text;q=0.5,text/plain;q=0.5', 'text'],
    ['OpenMetrics refused with q=0', 'application/openmetrics-text;q=0,*/*', 'text'],
    ['a quoted q-value and spaces', ' application/openmetrics-text ; version="1.0.0" ; q="0.7" , text/plain ; q=0.6', 'openmetrics'],
    ['upper case', 'APPLICATION/OPENMETRICS-TEXT;VERSION=1.0.0', 'openmetrics'],
    ['application/* over text/plain by q', 'application/*;q=0.9,text/plain;q=0.1', 'openmetrics'],
    // Unknown versions
    ['only OpenMetrics 0.0.1', 'application/openmetrics-text;version=0.0.1', 'text'],
    ['only OpenMetrics 2.0.0', 'application/openmetrics-text;version=2.0.0', 'text'],
    ['an unknown text version', 'text/plain;version=9.9.9', 'text'],
    ['an unknown type', 'application/json', 'text'],
    // Malformed
    ['garbage', ';;;,,,//', 'text'],
    ['a bad q-value', 'application/openmetrics-text;q=abc', 'text'],
    ['a q above 1', 'application/openmetrics-text;q=1.5', 'text'],
    ['a negative q', 'application/openmetrics-text;q=-1', 'text'],
    ['a parameter without a value', 'application/openmetrics-text;version', 'text'],
    ['half a media type', 'application/, /openmetrics-text, */openmetrics-text', 'text'],
    ['a malformed range beside a good one', 'application/openmetrics-text;q=zz,text/plain;q=0.3,application/openmetrics-text;q=0.4', 'openmetrics'],
    ['control characters', 'application/openmetrics-text\u0000;\r\nq=1', 'text'],
  ] as const)('%s -> %s', (_name, accept, format) => {
    expect(chooseExpositionFormat(accept)).toBe(format);
  });

  it('never throws, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (accept) => {
        expect(['openmetrics', 'text']).toContain(chooseExpositionFormat(accept));
      }),
      { numRuns: 2000 },
    );
    expect(chooseExpositionFormat(`${'text/plain;q=0.1,'.repeat(10_000)}application/openmetrics-text`)).toBe('text');
  });
});
