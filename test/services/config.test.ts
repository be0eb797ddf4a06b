import { describe, expect, it } from 'vitest';
import { readApiConfig } from '../../services/api/dist/config.js';
import { readFacilitatorConfig } from '../../services/facilitator/dist/config.js';

describe('service configuration from the environment', () => {
  it('uses the documented defaults', () => {
    const { config, problems } = readApiConfig({});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, redisUrl: 'redis://127.0.0.1:6379', trustProxyHops: 0, rateLimitMax: 200, rateLimitWindowSeconds: 60, settlementTimeoutMs: 60_000, reconcileIntervalMs: 15_000 });
    const facilitator = readFacilitatorConfig({ FACILITATOR_PRIVATE_KEY: `0x${'1'.repeat(64)}`, TOKEN_ADDRESS: '0x5fbdb2315678afecb367f032d93f642f64180aa3' });
    expect(facilitator.problems).toEqual([]);
    expect(facilitator.config).toMatchObject({ port: 3001, rpcUrls: ['http://127.0.0.1:8545'], chainId: 31337, receiptTimeoutMs: 20_000, tokenName: 'Twinkle USD', tokenVersion: '1' });
    // Any case in, checksummed out.
    expect(facilitator.config.tokenAddress).toBe('0x5FbDB2315678afecb367f032d93F642f64180aa3');
    expect(readFacilitatorConfig({ TOKEN_ADDRESS: '0x5FbDB2315678afecb367f032d93F642f64180aa3', TOKEN_NAME: 'USD Coin', TOKEN_VERSION: '2' }).config).toMatchObject({ tokenName: 'USD Coin', tokenVersion: '2' });
  });

  it('reads TRUST_PROXY as a number of proxies', () => {
    expect(readApiConfig({ TRUST_PROXY: 'true' }).config.trustProxyHops).toBe(1);
    expect(readApiConfig({ TRUST_PROXY: '2' }).config.trustProxyHops).toBe(2);
    expect(readApiConfig({ TRUST_PROXY: 'false' }).config.trustProxyHops).toBe(0);
  });

  it('gives one line per bad value, naming the variable and what is accepted, and never echoes a secret', () => {
    const { config, problems } = readApiConfig({ PORT: 'eighty', TRUST_PROXY: 'maybe', RATE_LIMIT_MAX: '-5', DATABASE_URL: 'mysql://user:hunter2@db/x', RECONCILE_INTERVAL_MS: '5' });
    expect(config).toMatchObject({ port: 3000, trustProxyHops: 0, rateLimitMax: 200, databaseUrl: 'postgres://postgres@127.0.0.1:5432/twinkle', reconcileIntervalMs: 15_000 });
    expect(problems).toEqual([
      'PORT="eighty" is not valid (accepted: an integer from 0 to 65535); using 3000',
      'DATABASE_URL is not a valid postgres or postgresql URL; using postgres://postgres@127.0.0.1:5432/twinkle',
      'TRUST_PROXY="maybe" is not valid (accepted: true, false, or the number of proxies, 0-99); using false',
      'RATE_LIMIT_MAX="-5" is not valid (accepted: an integer from 1 to 1000000); using 200',
      'RECONCILE_INTERVAL_MS="5" is not valid (accepted: an integer from 100 to 3600000); using 15000',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
    const key = `0x${'ab'.repeat(31)}`;
    const facilitator = readFacilitatorConfig({ FACILITATOR_PRIVATE_KEY: key, RPC_URL: 'http://a:8545, ftp://b, https://c/v2/secret-key', TOKEN_ADDRESS: '0x5FbDB2315678afecb367f032d93F642f64180aA3' });
    expect(facilitator.config.privateKey).toBeUndefined();
    expect(facilitator.config.tokenAddress).toBeUndefined();
    expect(facilitator.config.rpcUrls).toEqual(['http://a:8545', 'https://c/v2/secret-key']);
    expect(facilitator.problems).toEqual([
      'FACILITATOR_PRIVATE_KEY is not valid (accepted: 0x followed by 64 hex digits); settlements are refused',
      'TOKEN_ADDRESS="0x5FbDB2315678afecb367f032d93F642f64180aA3" is not valid (accepted: a 0x-prefixed 20-byte hex address, checksummed if mixed-case); verifications and settlements are refused',
      'RPC_URL: 1 of 3 entries are not http or https URLs and are ignored',
    ]);
    expect(facilitator.problems.join('\n')).not.toContain(key);
    expect(readFacilitatorConfig({}).problems).toEqual(['FACILITATOR_PRIVATE_KEY is not set; settlements are refused', 'TOKEN_ADDRESS is not set; verifications and settlements are refused']);
    expect(readFacilitatorConfig({ TOKEN_ADDRESS: '0x1234' }).problems[1]).toMatch(/^TOKEN_ADDRESS="0x1234" is not valid/);
  });
});
