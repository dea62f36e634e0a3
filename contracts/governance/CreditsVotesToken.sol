// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/**
 * @title CreditsVotesToken
 * @notice The governance token of the local demo and tests: an OpenZeppelin ERC20 + ERC20Permit + ERC20Votes
 *         composition with a fixed supply minted at deployment. (Compute credits themselves are not an ERC-20:
 *         they live, soulbound, in the CreditLedger.)
 */
contract CreditsVotesToken is ERC20, ERC20Permit, ERC20Votes {
    /// @param holder Receives the whole supply.
    /// @param supply The fixed supply (18 decimals).
    constructor(
        address holder,
        uint256 supply
    ) ERC20("Compute Credits DAO", "CCDAO") ERC20Permit("Compute Credits DAO") {
        _mint(holder, supply);
    }

    // Overrides required by Solidity for this combination of OpenZeppelin extensions.

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
