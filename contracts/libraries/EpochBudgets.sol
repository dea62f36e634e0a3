// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";

/**
 * @title EpochBudgets
 * @notice Per-epoch budgets ({ICreditLedger-EpochBudget}), shared by sponsors' allowances and issuers' caps: what
 *         counts as used in an epoch, recording spending, and reconfiguring without resetting what was spent.
 *
 * Epoch `i` covers `[anchor + i × epochLength, anchor + (i + 1) × epochLength)`; `used` counts for epoch
 * `usedEpoch` only. Spending recorded for the epoch of `time` or a later one counts as used at `time` (a later one
 * only appears when `time` lags the real time, as a cached price's time does: counting it is conservative).
 */
library EpochBudgets {
    /// @notice The epoch of `time` under `b` and what counts as used in it (nothing for an unconfigured budget).
    function usage(
        ICreditLedger.EpochBudget memory b,
        uint256 time
    ) internal pure returns (uint256 used, uint256 epoch) {
        if (b.epochLength == 0) return (0, 0);
        epoch = time <= b.anchor ? 0 : (time - b.anchor) / b.epochLength;
        used = b.usedEpoch >= epoch ? b.used : 0;
    }

    /// @notice What is left of `b` at `time` after what was used in its epoch and `alsoHeld` (0 when overspent).
    function remaining(
        ICreditLedger.EpochBudget memory b,
        uint256 time,
        uint256 alsoHeld
    ) internal pure returns (uint256) {
        (uint256 used, ) = usage(b, time);
        return Math.saturatingSub(b.limit, used + alsoHeld);
    }

    /**
     * @notice Records `amount` used now in `s`, saturating at `type(uint64).max` so that recording never reverts
     *         (settlement must not). `s` must be configured (`epochLength > 0`).
     */
    function record(ICreditLedger.EpochBudget storage s, uint256 amount) internal {
        (uint256 used, uint256 epoch) = usage(s, block.timestamp);
        s.used = uint64(Math.min(used + amount, type(uint64).max));
        s.usedEpoch = uint32(epoch); // epoch < 2^32 while timestamps fit in uint32 (anchor does)
    }

    /**
     * @notice Starts a new epoch 0 now with the new settings, carrying what was used in the current epoch (a change
     *         never resets spending); returns what was carried.
     */
    function reconfigure(
        ICreditLedger.EpochBudget storage s,
        uint64 limit,
        uint32 epochLength,
        uint32 expiresAt
    ) internal returns (uint64 carried) {
        (uint256 used, ) = usage(s, block.timestamp);
        carried = uint64(used); // read from a uint64 field
        s.limit = limit;
        s.used = carried;
        s.epochLength = epochLength;
        s.anchor = SafeCast.toUint32(block.timestamp);
        s.usedEpoch = 0;
        s.expiresAt = expiresAt;
    }
}
