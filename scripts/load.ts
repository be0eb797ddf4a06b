/**
 * `npm run load`: realistic traffic at the running services for a bounded time, so every
 * panel of the monitoring contract's dashboards has data: payment reads and writes (some
 * invalid, some unknown), token payments of each type settled through the API and straight
 * at the facilitator (some failing on chain: a payer without tokens, an amount above the
 * balance; some refused: bad signatures), and verifications. Amounts are in the token's base
 * units (6 decimals: 10000 is 0.01 tUSD).
 *
 *   LOAD_SECONDS (60), API_URL (http://127.0.0.1:3000), FACILITATOR_URL (http://127.0.0.1:3001),
 *   LOAD_API_RPS (2.5: HTTP requests a second; the API allows 200 a minute per client, this is 150),
 *   LOAD_FACILITATOR_RPS (5), LOAD_PAYER_PRIVATE_KEY (default: Anvil's development account 1,
 *   which `npm start` gives a million tUSD)
 */
import { signAuthorization, type TokenDomain } from '@twinkle/facilitator/authorization';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPaymentFromConfig } from '@x402/fetch';
import type { Hex } from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';

const seconds = Number(process.env.LOAD_SECONDS ?? 60);
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const facilitatorUrl = process.env.FACILITATOR_URL ?? 'http://127.0.0.1:3001';
const apiRps = Number(process.env.LOAD_API_RPS ?? 2.5);
const facilitatorRps = Number(process.env.LOAD_FACILITATOR_RPS ?? 5);

/** Anvil's default development mnemonic: published test keys, for a local chain only. */
const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';
const TYPES = ['paywall', 'paywall', 'paywall', 'subscription', 'subscription', 'direct'] as const;
/** More than any account holds: the token refuses it (insufficient balance), a settlement failure. */
const TOO_MUCH = 10n ** 30n;
const statuses = new Map<string, number>();
const payer = process.env.LOAD_PAYER_PRIVATE_KEY ? privateKeyToAccount(process.env.LOAD_PAYER_PRIVATE_KEY as Hex) : mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 1 });
// Holds no tokens: its payments fail on chain. A fresh key (and payee) each run.
const unfunded = privateKeyToAccount(generatePrivateKey());
const payee = privateKeyToAccount(generatePrivateKey()).address;
const paymentIds: string[] = [];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
/** 0.01 to 10 tUSD, in base units. */
const amount = (): bigint => BigInt(10_000 + Math.floor(Math.random() * 9_990_000));

async function call(service: string, url: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    const response = await fetch(url, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const key = `${service} ${response.status}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    return { status: response.status, body: await response.json().catch(() => undefined) };
  } catch {
    statuses.set(`${service} unreachable`, (statuses.get(`${service} unreachable`) ?? 0) + 1);
    return { status: 0, body: undefined };
  }
}

/** One step of traffic: how many HTTP requests it makes (for the pacing), and the requests. */
interface Step {
  readonly requests: number;
  run(): Promise<void>;
}

function apiStep(domain: TokenDomain): Step {
  const roll = Math.random();
  if (roll < 0.3) return { requests: 1, run: async () => void (await call('api', `${apiUrl}/payments?limit=${1 + Math.floor(Math.random() * 20)}`)) };
  if (roll < 0.5 && paymentIds.length > 0) return { requests: 1, run: async () => void (await call('api', `${apiUrl}/payments/${pick(paymentIds)}`)) };
  if (roll < 0.55) return { requests: 1, run: async () => void (await call('api', `${apiUrl}/payments/${900_000_000 + Math.floor(Math.random() * 1000)}`)) };
  if (roll < 0.6) return { requests: 1, run: async () => void (await call('api', `${apiUrl}/payments`, { type: 'paywall', amount: 'lots', payer: payer.address, payee })) };
  // A paid resource over x402: the 402, then the paid retry (two requests).
  if (roll < 0.75) return { requests: 2, run: () => payForResource(domain) };
  return {
    requests: 2,
    async run() {
      const from = Math.random() < 0.1 ? unfunded : payer;
      const value = amount();
      const created = await call('api', `${apiUrl}/payments`, { type: pick(TYPES), amount: value.toString(), payer: from.address, payee, memo: 'load' });
      if (created.status !== 201) return;
      paymentIds.push(created.body.id);
      await call('api', `${apiUrl}/payments/${created.body.id}/settle`, await signAuthorization(from, { to: payee, value }, domain));
    },
  };
}

let payingFetch: typeof fetch | undefined;

/** `GET /paid/<name>` paid by `@x402/fetch` with the payer's key: 402, then 200 once settled. */
async function payForResource(domain: TokenDomain): Promise<void> {
  const network = `eip155:${domain.chainId}` as const;
  payingFetch ??= wrapFetchWithPaymentFromConfig(fetch, {
    schemes: [{ network, client: new ExactEvmScheme(payer) }],
    // The client knows only well-known tokens: this one is allowed by hand.
    spendControls: { allowedAssets: [{ network, asset: domain.verifyingContract }] },
  });
  const count = (status: string): void => void statuses.set(`api paid ${status}`, (statuses.get(`api paid ${status}`) ?? 0) + 1);
  try {
    const response = await payingFetch(`${apiUrl}/paid/${pick(['report', 'weather', 'quote'])}`);
    await response.body?.cancel();
    count(String(response.status));
  } catch {
    count('failed');
  }
}

function facilitatorStep(domain: TokenDomain): Step {
  const roll = Math.random();
  const type = pick(TYPES);
  return {
    requests: 1,
    async run() {
      if (roll < 0.15) {
        await call('facilitator', `${facilitatorUrl}/verify`, { type, ...(await signAuthorization(payer, { to: payee, value: amount() }, domain)) });
      } else if (roll < 0.22) {
        const other = await signAuthorization(privateKeyToAccount(generatePrivateKey()), { to: payee, value: 100n }, domain);
        await call('facilitator', `${facilitatorUrl}/settle`, { type, authorization: { ...other.authorization, from: payer.address }, signature: other.signature });
      } else {
        const value = Math.random() < 0.08 ? TOO_MUCH : amount();
        await call('facilitator', `${facilitatorUrl}/settle`, { type, ...(await signAuthorization(payer, { to: payee, value }, domain)) });
      }
    },
  };
}

/** Starts steps (without waiting for answers) at `rps` HTTP requests a second until the deadline. */
async function pace(rps: number, deadline: number, step: () => Step): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let next = Date.now(); Date.now() < deadline; ) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const { requests, run } = step();
    next += (requests * 1000) / rps;
    const p = run().finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}

const info = await call('facilitator', `${facilitatorUrl}/`);
const chainId = Number(/^eip155:(\d+)$/.exec(String(info.body?.network))?.[1]);
if (!Number.isInteger(chainId)) {
  process.stderr.write(`[load] the facilitator at ${facilitatorUrl} did not answer (is \`npm start\` running?)\n`);
  process.exit(1);
}
const token = info.body.token as { address: `0x${string}`; name: string; version: string } | null;
if (token === null) {
  process.stderr.write('[load] the facilitator has no token configured (TOKEN_ADDRESS); `npm start` deploys one on its Anvil chain\n');
  process.exit(1);
}
const domain: TokenDomain = { name: token.name, version: token.version, chainId, verifyingContract: token.address };
const funded = await call('facilitator', `${facilitatorUrl}/verify`, { type: 'paywall', ...(await signAuthorization(payer, { to: payee, value: 10_000_000n }, domain)) });
if (funded.status !== 200) {
  process.stderr.write(`[load] the payer ${payer.address} cannot pay 10 ${token.name} on ${token.address}: ${JSON.stringify(funded.body)}\n`);
  process.exit(1);
}
process.stderr.write(`[load] ${seconds} s: API ${apiRps} requests/s at ${apiUrl}, facilitator ${facilitatorRps}/s at ${facilitatorUrl} (chain ${chainId}, ${token.name} at ${token.address}, payer ${payer.address})\n`);
const deadline = Date.now() + seconds * 1000;
await Promise.all([pace(apiRps, deadline, () => apiStep(domain)), pace(facilitatorRps, deadline, () => facilitatorStep(domain))]);
process.stderr.write(`[load] done: ${[...statuses].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}\n`);
