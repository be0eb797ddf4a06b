import type { TokenChain } from './token-chain.js';
import { postJson } from './twinkle-services.js';

/**
 * Settles a new payment through the API while the facilitator's account has no ETH for gas,
 * and returns the API's answer: a 5xx (503, nothing was sent) whose trace runs through both
 * services and the facilitator's settlement span. A settlement fails on the server side only
 * for reasons that are not the payer's: a payer without tokens is refused with a 422 before
 * anything is sent. A facilitator whose wallet ran dry is such a reason, and a real one: the
 * node refuses the signed transaction (`insufficient funds for gas`).
 *
 * The facilitator is development account 0; its balance is set to zero for this one call and
 * given back after. Nothing else may settle while this runs.
 */
export async function settleWithoutGas(chain: TokenChain, apiUrl: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const { accounts } = chain.anvil;
  const [facilitator, payer, payee] = [accounts[0]!, accounts[1]!, accounts[2]!];
  const payment = (await postJson(`${apiUrl}/payments`, { type: 'direct', amount: '1000', payer: payer.address, payee: payee.address })).body as { id: string };
  const authorization = await chain.sign(payer, { to: payee.address, value: 1000n });
  const eth = await chain.ethBalance(facilitator.address);
  await chain.anvil.rpc('anvil_setBalance', [facilitator.address, '0x0']);
  try {
    const { status, body } = await postJson(`${apiUrl}/payments/${payment.id}/settle`, authorization, headers);
    return { status, body };
  } finally {
    await chain.anvil.rpc('anvil_setBalance', [facilitator.address, `0x${eth.toString(16)}`]);
  }
}
