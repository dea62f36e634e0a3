// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ICreditLedger} from "../interfaces/ICreditLedger.sol";

/// @title TestReentrantToken
/// @notice Test-only ERC-20 that re-enters a purchase from `transferFrom`, to prove the reentrancy guard.
contract TestReentrantToken is ERC20 {
    ICreditLedger public immutable ledger;
    /// @notice When true, re-enters `buyCreditsWithToken`; otherwise `buyCredits`.
    bool public reenterWithToken;

    constructor(ICreditLedger ledger_) ERC20("Reentrant USD", "RUSD") {
        ledger = ledger_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setReenterWithToken(bool value) external {
        reenterWithToken = value;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (reenterWithToken) ledger.buyCreditsWithToken(from, address(this), value);
        else ledger.buyCredits(from);
        return super.transferFrom(from, to, value);
    }
}
