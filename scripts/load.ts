/**
 * `npm run load`: realistic traffic at the running services for a bounded time, so every
 * panel of the monitoring guide's dashboards has data: payment reads and writes (some
 * invalid, some unknown), settlements of each type through the API and straight to the
 * facilitator (some failing on chain, some with bad signatures), and verifications.
 *
 *   LOAD_SECONDS (60), API_URL (http://127.0.0.1:3000), FACILITATOR_URL (http://127.0.0.1:3001),
 *   LOAD_API_RPS (3: the API allows 200 requests a minute per client), LOAD_FACILITATOR_RPS (5)
 */
import { signAuthorization } from '@twinkle/facilitator/authorization';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

const seconds = Number(process.env.LOAD_SECONDS ?? 60);
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const facilitatorUrl = process.env.FACILITATOR_URL ?? 'http://127.0.0.1:3001';
const apiRps = Number(process.env.LOAD_API_RPS ?? 3);
const facilitatorRps = Number(process.env.LOAD_FACILITATOR_RPS ?? 5);

const TYPES = ['paywall', 'paywall', 'paywall', 'subscription', 'subscription', 'direct'] as const;
/** More than the facilitator's dev account holds: the node refuses it, a settlement failure. */
const TOO_MUCH = 10n ** 30n;
const statuses = new Map<string, number>();
// The payer only signs; a fresh key each run.
const payer = privateKeyToAccount(generatePrivateKey());
const payee = privateKeyToAccount(generatePrivateKey()).address;
const paymentIds: string[] = [];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

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

async function apiRequest(chainId: number): Promise<void> {
  const roll = Math.random();
  if (roll < 0.3) await call('api', `${apiUrl}/payments?limit=${1 + Math.floor(Math.random() * 20)}`);
  else if (roll < 0.5 && paymentIds.length > 0) await call('api', `${apiUrl}/payments/${pick(paymentIds)}`);
  else if (roll < 0.55) await call('api', `${apiUrl}/payments/${900_000_000 + Math.floor(Math.random() * 1000)}`);
  else if (roll < 0.6) await call('api', `${apiUrl}/payments`, { type: 'paywall', amount: 'lots', payer: payer.address, payee });
  else {
    const type = pick(TYPES);
    const value = Math.random() < 0.1 ? TOO_MUCH : BigInt(1 + Math.floor(Math.random() * 10_000));
    const created = await call('api', `${apiUrl}/payments`, { type, amount: value.toString(), payer: payer.address, payee, memo: 'load' });
    if (created.status !== 201) return;
    paymentIds.push(created.body.id);
    await call('api', `${apiUrl}/payments/${created.body.id}/settle`, await signAuthorization(payer, { to: payee, value }, chainId));
  }
}

async function facilitatorRequest(chainId: number): Promise<void> {
  const roll = Math.random();
  const type = pick(TYPES);
  if (roll < 0.15) {
    await call('facilitator', `${facilitatorUrl}/verify`, { type, ...(await signAuthorization(payer, { to: payee, value: 100n }, chainId)) });
  } else if (roll < 0.22) {
    const other = await signAuthorization(privateKeyToAccount(generatePrivateKey()), { to: payee, value: 100n }, chainId);
    await call('facilitator', `${facilitatorUrl}/settle`, { type, authorization: { ...other.authorization, from: payer.address }, signature: other.signature });
  } else {
    const value = Math.random() < 0.08 ? TOO_MUCH : BigInt(1 + Math.floor(Math.random() * 10_000));
    await call('facilitator', `${facilitatorUrl}/settle`, { type, ...(await signAuthorization(payer, { to: payee, value }, chainId)) });
  }
}

/** Fires `rps` requests a second (without waiting for answers) until the deadline. */
async function pace(rps: number, deadline: number, request: () => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let next = Date.now(); Date.now() < deadline; next += 1000 / rps) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const p = request().finally(() => inFlight.delete(p));
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
process.stderr.write(`[load] ${seconds} s: API ${apiRps}/s at ${apiUrl}, facilitator ${facilitatorRps}/s at ${facilitatorUrl} (chain ${chainId})\n`);
const deadline = Date.now() + seconds * 1000;
await Promise.all([pace(apiRps, deadline, () => apiRequest(chainId)), pace(facilitatorRps, deadline, () => facilitatorRequest(chainId))]);
process.stderr.write(`[load] done: ${[...statuses].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}\n`);
