import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTRACT_SCRAPE_CONFIGS } from './helpers/contract.js';
import { opsPath } from './helpers/paths.js';
import { run } from './helpers/run.js';

/** A YAML file's text without comments and blank lines. */
function significantLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

describe('prometheus.yml', () => {
  it('passes promtool check config together with its rule file', async () => {
    const result = await run('promtool', ['check', 'config', opsPath('prometheus.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 1 rule files found');
    expect(result.stdout).toContain('prometheus.yml is valid prometheus config file syntax');
  });

  it("holds the monitoring contract's scrape configuration verbatim", () => {
    expect(readFileSync(opsPath('prometheus.yml'), 'utf8')).toContain(CONTRACT_SCRAPE_CONFIGS);
  });
});

describe('prometheus.compose.yml', () => {
  it('passes promtool check config', async () => {
    const result = await run('promtool', ['check', 'config', opsPath('prometheus.compose.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 1 rule files found');
  });

  it('is prometheus.yml with the compose service names as targets', () => {
    const compose = readFileSync(opsPath('prometheus.compose.yml'), 'utf8')
      .replace("'api:3000'", "'localhost:3000'")
      .replace("'facilitator:3001'", "'localhost:3001'");
    expect(significantLines(compose)).toEqual(significantLines(readFileSync(opsPath('prometheus.yml'), 'utf8')));
  });
});
