import { settlementTerms, type SettlementTerms } from './facilitator-client.js';

/**
 * The facilitator's network and token, asked once (`GET /`) and kept: the API names the
 * token it is paid in from the facilitator that settles it, so the two cannot disagree. A
 * failed look-up is not kept; the next request asks again.
 */
export class SettlementTermsCache {
  private terms: SettlementTerms | undefined;

  constructor(
    private readonly facilitatorUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async get(): Promise<SettlementTerms | { readonly unavailable: string }> {
    if (this.terms !== undefined) return this.terms;
    const answer = await settlementTerms(this.facilitatorUrl, this.timeoutMs);
    if (!('unavailable' in answer)) this.terms = answer;
    return answer;
  }
}
