// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {CreditPaymaster} from "../paymaster/CreditPaymaster.sol";
import {ICreditHolds} from "../interfaces/ICreditHolds.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";

/**
 * @title TestLowFloorPaymaster
 * @notice Test-only CreditPaymaster whose postOp gas floor is set by the test instead of derived from the
 *         EntryPoint's unmetered gas: with the floor lowered (the defence removed), the low-prefund attack works,
 *         which shows that the solvency tests can fail. Compiled like CreditPaymaster (IR pipeline), so that its
 *         postOp costs the same gas. NEVER deploy outside tests.
 */
contract TestLowFloorPaymaster is CreditPaymaster {
    uint256 private _floor;

    constructor(
        IEntryPoint entryPoint_,
        ICreditHolds ledger_,
        IPriceAdapter priceAdapter_,
        address admin,
        Config memory initialConfig
    ) CreditPaymaster(entryPoint_, ledger_, priceAdapter_, admin, initialConfig, 0, 0) {}

    /// @notice Sets the postOp gas floor every operation must meet (0 = the real, derived floor).
    function setFloor(uint256 floor) external {
        _floor = floor;
    }

    function _postOpGasFloor(
        uint256 mode,
        uint256 callDataWords,
        uint256 margin
    ) internal view override returns (uint256) {
        return _floor == 0 ? super._postOpGasFloor(mode, callDataWords, margin) : _floor;
    }
}
