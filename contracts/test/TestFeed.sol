// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Compiled so that the tests get the Chainlink mock's artifact and TypeChain types.
// solhint-disable-next-line no-unused-import
import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";

/**
 * @title TestFeed
 * @notice Test-only Chainlink-style feed for what `MockV3Aggregator` cannot express: a feed that reverts,
 *         returns short or malformed data, or burns all the gas it is given, and a feed whose `decimals()` changes
 *         (a proxy repointed to an aggregator with other decimals). In `Normal` mode it answers the round set by
 *         `setRoundData`. `mode` applies to both `decimals()` and `latestRoundData()`; `decimalsMode` to
 *         `decimals()` alone (when `mode` is `Normal`).
 */
contract TestFeed {
    enum Mode {
        Normal,
        Revert,
        ShortData,
        Malformed,
        BurnGas
    }

    error TestFeedReverted();

    Mode public mode;
    Mode public decimalsMode;
    uint8 private _decimals;
    uint80 private _roundId;
    int256 private _answer;
    uint256 private _startedAt;
    uint256 private _updatedAt;

    constructor(uint8 decimals_) {
        _decimals = decimals_;
    }

    function setMode(Mode newMode) external {
        mode = newMode;
    }

    function setDecimalsMode(Mode newMode) external {
        decimalsMode = newMode;
    }

    function setDecimals(uint8 newDecimals) external {
        _decimals = newDecimals;
    }

    function setRoundData(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt) external {
        (_roundId, _answer, _startedAt, _updatedAt) = (roundId, answer, startedAt, updatedAt);
    }

    function decimals() external view returns (uint8) {
        Mode current = mode;
        _misbehave(current == Mode.Normal ? decimalsMode : current);
        return _decimals;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        _misbehave(mode);
        return (_roundId, _answer, _startedAt, _updatedAt, _roundId);
    }

    function _misbehave(Mode current) private pure {
        if (current == Mode.Revert) revert TestFeedReverted();
        if (current == Mode.ShortData) {
            assembly ("memory-safe") {
                // Return half a word: shorter than both decimals() and latestRoundData() need.
                mstore(0, 1)
                return(0, 0x10)
            }
        }
        if (current == Mode.Malformed) {
            assembly ("memory-safe") {
                // Return five words (written past the free pointer) whose first overflows uint80 and uint8.
                let ptr := mload(0x40)
                mstore(ptr, shl(80, 1))
                mstore(add(ptr, 0x20), 1)
                mstore(add(ptr, 0x40), 0)
                mstore(add(ptr, 0x60), 0)
                mstore(add(ptr, 0x80), 0)
                return(ptr, 0xa0)
            }
        }
        if (current == Mode.BurnGas) {
            assembly ("memory-safe") {
                // INVALID consumes all the gas forwarded to this call.
                invalid()
            }
        }
    }
}
