import type { Logger } from 'pino';
import { summarizeChainError } from './chain-error.js';
import type { Eip3009Token } from './eip3009-token.js';

/**
 * Compares the token's `DOMAIN_SEPARATOR()` with the domain `TOKEN_NAME`, `TOKEN_VERSION`,
 * `CHAIN_ID` and `TOKEN_ADDRESS` give, once at start-up, and says in one line when they
 * differ (every signature would then be refused) or when it cannot tell. Never throws.
 */
export async function checkTokenDomain(token: Eip3009Token, log: Logger): Promise<boolean | undefined> {
  try {
    const { onChain, configured } = await token.domainSeparators();
    if (onChain === configured) return true;
    const { name, version, chainId } = token.domain;
    log.error({ tokenAddress: token.address, tokenName: name, tokenVersion: version, chainId }, 'the token\'s DOMAIN_SEPARATOR() is not the EIP-712 domain of TOKEN_NAME, TOKEN_VERSION, CHAIN_ID and TOKEN_ADDRESS: every authorization will be refused; set them to the token\'s');
    return false;
  } catch (error) {
    log.warn({ tokenAddress: token.address, ...summarizeChainError(error) }, 'could not read the token\'s DOMAIN_SEPARATOR() to check TOKEN_NAME and TOKEN_VERSION');
    return undefined;
  }
}
