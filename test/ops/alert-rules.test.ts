import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compactPromql, CONTRACT_ALERTS } from './helpers/contract.js';
import { opsPath } from './helpers/paths.js';
import { rulesInText } from './helpers/rules-text.js';
import { run } from './helpers/run.js';

const RULES = opsPath('rules/twinkle-alerts.yml');
const RULE_TESTS = opsPath('rules/twinkle-alerts.test.yml');

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** Runs the unit tests against a copy of the rules with `search` replaced by `replacement`. */
async function testRulesWith(search: string, replacement: string): Promise<{ code: number; output: string }> {
  scratch = mkdtempSync(join(tmpdir(), 'twinkle-rules-'));
  const rules = readFileSync(RULES, 'utf8');
  const changed = rules.replace(search, replacement);
  expect(changed, `"${search}" is not in the rules`).not.toBe(rules);
  writeFileSync(join(scratch, 'twinkle-alerts.yml'), changed);
  copyFileSync(RULE_TESTS, join(scratch, 'twinkle-alerts.test.yml'));
  const result = await run('promtool', ['test', 'rules', 'twinkle-alerts.test.yml'], { cwd: scratch });
  return { code: result.code, output: result.stdout + result.stderr };
}

describe('rules/twinkle-alerts.yml', () => {
  it('passes promtool check rules with five rules', async () => {
    const result = await run('promtool', ['check', 'rules', RULES]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 5 rules found');
  });

  it("holds the monitoring contract's alerts with the contract's expressions", () => {
    const rules = rulesInText(readFileSync(RULES, 'utf8'));
    const compact = (byName: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(byName).map(([name, expr]) => [name, compactPromql(expr)]));
    expect(compact(Object.fromEntries(rules.map((r) => [r.name, r.expr])))).toEqual(compact(CONTRACT_ALERTS));
  });

  it('passes its promtool unit tests', async () => {
    const result = await run('promtool', ['test', 'rules', RULE_TESTS]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS');
    expect(result.stdout).not.toContain('FAILED');
  });

  // Each threshold has a unit test on the threshold itself: `>=` instead of `>` must fail it.
  it.each([
    ['HighErrorRate', '> 0.05\n', '>= 0.05\n'],
    ['HighLatency', ') > 1\n', ') >= 1\n'],
    ['SettlementFailures', '> 0.1\n', '>= 0.1\n'],
    ['HighRateLimitHits', '> 10\n', '>= 10\n'],
  ])('has a unit test that fails when %s fires at its threshold', async (alert, search, replacement) => {
    const { code, output } = await testRulesWith(search, replacement);
    expect(code).toBe(1);
    expect(output).toContain('FAILED');
    expect(output).toContain(`alertname: ${alert}`);
  });

  it("has a unit test that fails when ServiceDown does not wait for its 'for' duration", async () => {
    const { code, output } = await testRulesWith('for: 1m', 'for: 0m');
    expect(code).toBe(1);
    expect(output).toContain('alertname: ServiceDown');
  });
});
