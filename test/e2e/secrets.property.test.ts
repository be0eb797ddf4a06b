import fc from 'fast-check';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { startSentryReceiver, type SentryReceiver } from '../helpers/sentry-receiver.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

const { wordlist } = createRequire(import.meta.url)('@scure/bip39/wordlists/english.js') as { wordlist: string[] };
const RUNS = 150;
const SERVER = 2;

const hex = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const token = (min: number, max: number) => fc.string({ unit: alnum, minLength: min, maxLength: max });

/** A secret, the text it appears as, and the part that must never be seen again. */
interface Secret {
  readonly shape: string;
  readonly text: string;
  readonly needle: string;
}

const privateKey = fc.tuple(fc.boolean(), fc.string({ unit: hex, minLength: 64, maxLength: 64 })).map(
  ([prefixed, digits]): Secret => ({ shape: 'private key', text: `${prefixed ? '0x' : ''}${digits}`, needle: digits }),
);
const mnemonic = fc.constantFrom(12, 15, 18, 21, 24).chain((n) =>
  fc.array(fc.constantFrom(...wordlist), { minLength: n, maxLength: n }).map((words): Secret => ({ shape: 'mnemonic', text: words.join(' '), needle: words.join(' ') })),
);
const bearer = token(20, 40).map((t): Secret => ({ shape: 'bearer token', text: `Bearer ${t}`, needle: t }));
const rpcKey = fc
  .tuple(fc.constantFrom('/v2/', '/v3/', '/rpc/', '?apikey=', '?key=', '?token=', '?api_key='), token(16, 40))
  .map(([where, key]): Secret => ({ shape: `RPC URL key (${where})`, text: `https://eth-sepolia.example.com${where}${key}`, needle: key }));
/** Secrets in free text: recognisable by their shape wherever they stand. */
const shaped = fc.oneof(privateKey, mnemonic, bearer, rpcKey);
/** Opaque values (a password): protected by the name of the field or header that holds them. */
const opaque = token(16, 32).map((t): Secret => ({ shape: 'opaque value', text: t, needle: t }));
const secretKeyName = fc.constantFrom('privateKey', 'private_key', 'PRIVATE-KEY', 'password', 'Password', 'secret', 'mnemonic', 'seed', 'seed_phrase', 'apiKey', 'api-key', 'X-API-Key', 'signature');

describe('no secret leaves the process (fast-check)', () => {
  let sentry: SentryReceiver;
  let otlp: OtlpReceiver;
  let app: RunningApp;
  const planted: Secret[] = [];

  beforeAll(async () => {
    sentry = await startSentryReceiver();
    otlp = await startOtlpReceiver();
    app = await spawnApp('sentry-app.mjs', {
      nodeArgs: WITH_AGENT,
      env: { SENTRY_DSN: sentry.dsn, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await sentry?.close();
    await otlp?.close();
  });

  it(`plants ${RUNS} generated secrets in headers, bodies, messages, errors, contexts and URLs, and finds none`, async () => {
    await fc.assert(
      fc.asyncProperty(shaped, opaque, secretKeyName, fc.boolean(), fc.integer({ min: 0, max: 1e9 }), async (s, o, key, throws, n) => {
        planted.push(s, o);
        const url = s.shape.startsWith('RPC URL')
          ? `${app.url}${s.text.slice('https://eth-sepolia.example.com'.length)}`
          : `${app.url}/v2/${o.text}?apikey=${o.text}`;
        const res = await fetch(`${app.url}/leak`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${o.text}`, cookie: `session=${o.text}`, 'x-api-key': o.text, 'x-request-id': `prop-${n}` },
          body: JSON.stringify({
            message: `run ${n}: ${s.text} in the message`,
            body: { amount: '1.00', [key]: o.text, note: `carrying ${s.text}`, nested: { deeper: { [key]: o.text, url: s.text } } },
            context: { tool: 'property', [key]: o.text, list: [s.text, { [key]: o.text }], url: s.text },
            url,
            throw: throws,
          }),
        });
        await res.arrayBuffer();
        expect([200, 500]).toContain(res.status);
      }),
      { numRuns: RUNS },
    );
    // Everything the runs produced has arrived: one captureError event each, and the server spans.
    await sentry.waitFor((e) => e.filter((x) => x.contexts?.twinkle?.tool === 'property').length >= RUNS, 30_000);
    await otlp.waitFor((spans) => spans.filter((x) => x.kind === SERVER && x.attributes['url.path'] === '/leak').length >= RUNS, 30_000);
    await otlp.waitFor((spans) => spans.filter((x) => x.name === 'settlement direct').length >= RUNS, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const places = {
      'Sentry envelopes': sentry.bodies.join('\n'),
      'exported spans': otlp.bodies.join('\n'),
      'log lines': app.stdoutLines().join('\n'),
    };
    const leaks: string[] = [];
    for (const secret of planted) {
      for (const [place, text] of Object.entries(places)) if (text.includes(secret.needle)) leaks.push(`${secret.shape} ${JSON.stringify(secret.needle)} in ${place}`);
    }
    expect(leaks).toEqual([]);
    expect(planted).toHaveLength(RUNS * 2);
    // The runs did produce telemetry where the secrets would have been.
    expect(places['log lines']).toContain('[REDACTED]');
    expect(places['Sentry envelopes']).toContain('[REDACTED]');
  });
});
