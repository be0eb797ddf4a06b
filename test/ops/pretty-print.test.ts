/**
 * Pretty-printing as README and docs/monitoring.md give it (`npm start | npx pino-pretty`):
 * pino-pretty is a development dependency, so npx runs the installed copy, offline.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npx pino-pretty', () => {
  it('prints an access-log line of the agent readably, with no network', async () => {
    const line = JSON.stringify({ level: 30, time: 1704931200000, pid: 12345, hostname: 'server-1', service: 'twinkle-api', reqId: 'abc-123', method: 'GET', path: '/payments', status: 200, duration: 0.045, msg: 'Request completed' });
    // --offline: npx may not fetch anything; a missing local copy fails instead of downloading.
    const child = execFile('npx', ['--offline', 'pino-pretty', '--colorize', 'false'], { cwd: ROOT, env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/' } });
    child.stdin!.end(`${line}\n`);
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => void (text += chunk));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`npx pino-pretty exited ${code}`))));
    });
    expect(output).toMatch(/INFO \(12345\): Request completed/);
    expect(output).toContain("service: \"twinkle-api\"");
    expect(output).toContain('reqId: "abc-123"');
    expect(output).toContain('status: 200');
  });
});
