// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ERC3009} from "@openzeppelin/contracts/token/ERC20/extensions/draft-ERC3009.sol";

/**
 * @title Twinkle USD
 * @notice A test dollar for local chains: an ERC-20 with 6 decimals and EIP-3009 transfer
 * authorizations with USDC's semantics, so an x402 facilitator settles on it exactly as it
 * would on USDC. The payer signs `TransferWithAuthorization` under this token's EIP-712 domain
 * (name "Twinkle USD", version "1"); anyone may submit it with `transferWithAuthorization`
 * (and pay the gas); the payee alone with `receiveWithAuthorization`. A nonce is used once:
 * `authorizationState` says whether it was, `AuthorizationUsed` is emitted when it is.
 * The whole supply is minted at deployment to the given holders; there is no owner.
 */
contract TwinkleUSD is ERC3009 {
    /// @notice The authorization's `validAfter` has not passed yet (USDC: "authorization is not yet valid").
    error AuthorizationNotYetValid(uint256 validAfter, uint256 blockTimestamp);

    /// @notice The authorization's `validBefore` has passed (USDC: "authorization is expired").
    error AuthorizationExpired(uint256 validBefore, uint256 blockTimestamp);

    constructor(address[] memory holders, uint256 amountEach) ERC20("Twinkle USD", "tUSD") EIP712("Twinkle USD", "1") {
        for (uint256 i = 0; i < holders.length; ++i) {
            _mint(holders[i], amountEach);
        }
    }

    /// @notice 6, like USDC: amounts are in millionths of a dollar.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice The EIP-712 domain separator (USDC exposes it under this name).
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /**
     * @dev USDC's validity window, in unix seconds only: valid strictly after `validAfter` and
     * strictly before `validBefore`, with a separate reason for each side. (OpenZeppelin's draft
     * reads both values as block numbers when both carry bit 47, and reverts with one error for
     * both sides.)
     */
    function _checkValidity(uint256 validAfter, uint256 validBefore) internal view override {
        require(block.timestamp > validAfter, AuthorizationNotYetValid(validAfter, block.timestamp));
        require(block.timestamp < validBefore, AuthorizationExpired(validBefore, block.timestamp));
    }
}
