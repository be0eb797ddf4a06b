import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSupportedNode, NODE_FLOOR, unsupportedNodeMessage } from '../../agent/src/node-floor.js';

const engines = (path: string): string => (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;

describe('isSupportedNode', () => {
  it.each([
    ['22.15.0', true],
    ['v22.15.0', true],
    ['22.15.1', true],
    ['22.22.3', true],
    ['23.0.0', true],
    ['24.11.1', true],
    ['100.0.0', true],
    ['22.14.9', false],
    ['22.9.0', false],
    ['v20.20.2', false],
    ['18.19.0', false],
    ['21.99.99', false],
    ['', false],
    ['not a version', false],
  ])('says %s is %s', (version, supported) => {
    expect(isSupportedNode(version)).toBe(supported);
  });

  it('takes the floor that package.json engines declares, for the agent and the repository', () => {
    expect(engines('../../agent/package.json')).toBe(`>=${NODE_FLOOR.replace(/\.0$/, '')}`);
    expect(engines('../../package.json')).toBe(`>=${NODE_FLOOR.replace(/\.0$/, '')}`);
  });

  it('names the floor, the running version and the variable that starts the agent anyway', () => {
    const off = unsupportedNodeMessage('v20.20.2', false);
    expect(off).toContain('v20.20.2');
    expect(off).toContain(`>= ${NODE_FLOOR}`);
    expect(off).toContain('stays off');
    expect(off).toContain('TWINKLE_ALLOW_UNSUPPORTED_NODE=true');
    expect(unsupportedNodeMessage('v20.20.2', true)).toMatch(/starting anyway because TWINKLE_ALLOW_UNSUPPORTED_NODE=true$/);
  });
});
