import { describe, expect, it } from 'vitest';
import { REDACTED, isSecretKey, scrubString, scrubUrl, scrubValue, withoutCredentials } from '../../agent/src/scrub.js';

const PK = `0x${'4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'}`;

describe('scrubUrl', () => {
  it.each([
    ['https://eth-sepolia.example.com/v2/abcDEF123', `https://eth-sepolia.example.com/v2/${REDACTED}`],
    ['https://mainnet.example.io/v3/0123456789abcdef', `https://mainnet.example.io/v3/${REDACTED}`],
    ['https://rpc.example.org/rpc/k3y/extra', `https://rpc.example.org/rpc/${REDACTED}/extra`],
    ['https://node.example/?apikey=K1&chain=1', `https://node.example/?apikey=${REDACTED}&chain=1`],
    ['https://node.example/x?key=K2', `https://node.example/x?key=${REDACTED}`],
    ['https://node.example/x?token=T&api_key=A&API-KEY=B#frag', `https://node.example/x?token=${REDACTED}&api_key=${REDACTED}&API-KEY=${REDACTED}#frag`],
    ['https://user:pass@node.example/path', `https://${REDACTED}@node.example/path`],
    ['postgres://app:s3cret@db:5432/twinkle', `postgres://${REDACTED}@db:5432/twinkle`],
    ['/payments/12?page=2', '/payments/12?page=2'],
    ['https://node.example/v1/plain', 'https://node.example/v1/plain'],
  ])('%s', (input, expected) => {
    expect(scrubUrl(input)).toBe(expected);
  });

  it('logs an endpoint by origin and path only', () => {
    expect(withoutCredentials('https://u:p@collector:4318/v1/traces?x=1')).toBe('https://collector:4318/v1/traces');
    expect(withoutCredentials('not a url')).toBe('[invalid URL]');
  });
});

describe('scrubString', () => {
  it('replaces private keys with and without 0x, auth schemes and URL keys in free text', () => {
    const text = `key ${PK} bare ${PK.slice(2)} auth Bearer eyJhbGciOi.abc-def_ghi= basic Basic dXNlcjpwYXNz url https://x.example/v2/KEY123 done`;
    expect(scrubString(text)).toBe(
      `key ${REDACTED} bare ${REDACTED} auth Bearer ${REDACTED} basic Basic ${REDACTED} url https://x.example/v2/${REDACTED} done`,
    );
  });

  it('keeps 64 hex digits that are part of a longer token and text without secrets', () => {
    expect(scrubString(`id ${'a'.repeat(65)}`)).toBe(`id ${'a'.repeat(65)}`);
    expect(scrubString('GET /payments took 45 ms')).toBe('GET /payments took 45 ms');
  });
});

describe('mnemonics', () => {
  const phrase = 'test test test test test test test test test test test junk';
  it('replaces a 12-word BIP-39 mnemonic in free text', () => {
    expect(scrubString(`restore with: ${phrase} ok?`)).toBe(`restore with: ${REDACTED} ok?`);
    expect(scrubString(`abandon ability able about above absent absorb abstract absurd abuse access accident actor actress actual adapt add addict`)).toBe(REDACTED);
  });

  it('keeps ordinary lower-case text of the same length', () => {
    const text = 'the payment service could not reach the chain node because the request timed out twice today';
    expect(scrubString(text)).toBe(text);
  });
});

describe('isSecretKey', () => {
  it.each(['privateKey', 'private_key', 'PRIVATE-KEY', 'password', 'Authorization', 'cookie', 'X-API-Key', 'apiKey', 'api_key', 'mnemonic', 'seed', 'seedPhrase', 'secret', 'signature'])(
    'treats %s as secret',
    (key) => expect(isSecretKey(key)).toBe(true),
  );
  it.each(['amount', 'from', 'payTo', 'status', 'keyword'])('does not treat %s as secret', (key) => expect(isSecretKey(key)).toBe(false));
});

describe('scrubValue', () => {
  it('replaces values under secret keys at any depth and keeps the keys', () => {
    const out = scrubValue({ a: { b: { c: { privateKey: PK, amount: '1' } } }, list: [{ password: 'p' }] });
    expect(out).toEqual({ a: { b: { c: { privateKey: REDACTED, amount: '1' } } }, list: [{ password: REDACTED }] });
  });

  it('keeps a transaction hash under a key that names a hash, and scrubs it elsewhere', () => {
    expect(scrubValue({ txHash: PK, transaction_hash: PK, note: `tx ${PK}` })).toEqual({ txHash: PK, transaction_hash: PK, note: `tx ${REDACTED}` });
  });

  it('survives cycles, depth and huge strings', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(scrubValue(cyclic)).toEqual({ name: 'x', self: '[Circular]' });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20; i++) deep = (deep.next = {}) as Record<string, unknown>;
    expect(JSON.stringify(scrubValue(root))).toContain('[Truncated]');
    const big = scrubValue('x'.repeat(100_000)) as string;
    expect(big.length).toBeLessThan(17_000);
  });

  it('scrubs errors into plain objects with message and stack', () => {
    const err = new Error(`failed with ${PK}`);
    const out = scrubValue(err) as Record<string, string>;
    expect(out.message).toBe(`failed with ${REDACTED}`);
    expect(out.stack).not.toContain(PK.slice(2));
  });
});
