import { describe, expect, it } from 'vitest';
import { readApiConfig } from '../../services/api/dist/config.js';
import { readFacilitatorConfig } from '../../services/facilitator/dist/config.js';

describe('service configuration from the environment', () => {
  it('uses the documented defaults', () => {
    const { config, problems } = readApiConfig({});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, redisUrl: 'redis://127.0.0.1:6379', trustProxyHops: 0, rateLimitMax: 200, rateLimitWindowSeconds: 60 });
    const facilitator = readFacilitatorConfig({ FACILITATOR_PRIVATE_KEY: `0x${'1'.repeat(64)}` });
    expect(facilitator.problems).toEqual([]);
    expect(facilitator.config).toMatchObject({ port: 3001, rpcUrls: ['http://127.0.0.1:8545'], chainId: 31337, receiptTimeoutMs: 20_000 });
  });

  it('reads TRUST_PROXY as a number of proxies', () => {
    expect(readApiConfig({ TRUST_PROXY: 'true' }).config.trustProxyHops).toBe(1);
    expect(readApiConfig({ TRUST_PROXY: '2' }).config.trustProxyHops).toBe(2);
    expect(readApiConfig({ TRUST_PROXY: 'false' }).config.trustProxyHops).toBe(0);
  });

  it('gives one line per bad value, naming the variable and what is accepted, and never echoes a secret', () => {
    const { config, problems } = readApiConfig({ PORT: 'eighty', TRUST_PROXY: 'maybe', RATE_LIMIT_MAX: '-5', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(config).toMatchObject({ port: 3000, trustProxyHops: 0, rateLimitMax: 200, databaseUrl: 'postgres://postgres@127.0.0.1:5432/twinkle' });
    expect(problems).toEqual([
      'PORT="eighty" is not valid (accepted: an integer from 0 to 65535); using 3000',
      'DATABASE_URL is not a valid postgres or postgresql URL; using postgres://postgres@127.0.0.1:5432/twinkle',
      'TRUST_PROXY="maybe" is not valid (accepted: true, false, or the number of proxies, 0-99); using false',
      'RATE_LIMIT_MAX="-5" is not valid (accepted: an integer from 1 to 1000000); using 200',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
    const key = `0x${'ab'.repeat(31)}`;
    const facilitator = readFacilitatorConfig({ FACILITATOR_PRIVATE_KEY: key, RPC_URL: 'http://a:8545, ftp://b, https://c/v2/secret-key' });
    expect(facilitator.config.privateKey).toBeUndefined();
    expect(facilitator.config.rpcUrls).toEqual(['http://a:8545', 'https://c/v2/secret-key']);
    expect(facilitator.problems).toEqual([
      'FACILITATOR_PRIVATE_KEY is not valid (accepted: 0x followed by 64 hex digits); settlements are refused',
      'RPC_URL: 1 of 3 entries are not http or https URLs and are ignored',
    ]);
    expect(facilitator.problems.join('\n')).not.toContain(key);
    expect(readFacilitatorConfig({}).problems).toEqual(['FACILITATOR_PRIVATE_KEY is not set; settlements are refused']);
  });
});
