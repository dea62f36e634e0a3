// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";

/// @notice Test-only call target of user operations: a counter, a revert, a gas burner and a price mover.
contract TestTarget {
    error TestTargetFailed(uint256 code);

    mapping(address caller => uint256 count) public counts;

    /// @notice Increments the caller's counter (a plain, small call).
    function increment() external {
        counts[msg.sender] += 1;
    }

    /// @notice Always reverts.
    function fail(uint256 code) external pure {
        revert TestTargetFailed(code);
    }

    /// @notice Burns (almost) all the gas it is given, then reverts with INVALID.
    function burnAll() external pure {
        assembly ("memory-safe") {
            // Test-only: consume every unit of gas, like a runaway call.
            invalid()
        }
    }

    /// @notice Moves a mock feed's answer and refreshes the adapter's cache (price change mid-bundle).
    function movePrice(MockV3Aggregator feed, IPriceAdapter adapter, int256 answer) external {
        feed.updateAnswer(answer);
        adapter.refreshCachedPrice();
    }
}
