import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { satisfies } from '../../agent/src/doctor/semver-range.js';

const semver = createRequire(import.meta.url)('semver') as { satisfies(v: string, r: string): boolean };

// The ranges the instrumentations the agent runs or loads declare, and more of the same shapes.
const RANGES = ['>=8.0.3 <9', '>=2.0.0 <4', '>=2.0.0 <7', '>=5.14.0 <11', '>=4.0.0 <5', '^1.0.0', '^5.0.0', '^0.2.3', '~1.2.3', '*', '1.2.3', '>=2.6.0 <4 || ^5.0.0'];
const VERSIONS = ['0.2.2', '0.2.3', '0.2.9', '0.3.0', '1.0.0', '1.2.3', '1.2.9', '1.3.0', '2.0.0', '2.6.0', '3.9.9', '4.0.0', '4.13.19', '5.0.0', '5.13.9', '5.14.0', '5.12.1', '6.0.0', '7.0.0', '8.0.2', '8.0.3', '8.23.1', '9.0.0', '10.4.0', '11.0.0'];

describe('satisfies', () => {
  it.each(RANGES)('agrees with the semver package on %s', (range) => {
    for (const v of VERSIONS) expect(satisfies(v, range), `${v} in ${range}`).toBe(semver.satisfies(v, range));
  });
});
