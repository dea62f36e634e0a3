// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";

/**
 * @title ChainlinkFeeds
 * @notice Reading and validating Chainlink-style feeds for {PriceAdapter}: gas-guarded low-level static calls that
 *         copy at most five words (a reverting, code-less, short, malformed or huge answer is "unavailable", never a
 *         raw revert), the decimals checked on every read, the answer bounds, heartbeat and timestamp checks, and
 *         the validation of a feed configuration. Failures are the adapter's custom errors ({IPriceAdapter}).
 */
library ChainlinkFeeds {
    /// @dev A feed configuration as stored: the first slot packs the feed, its heartbeat and its decimals.
    struct StoredFeed {
        AggregatorV3Interface feed;
        uint32 heartbeat;
        uint8 decimals;
        int256 minAnswer;
        int256 maxAnswer;
    }

    /// @dev A feed's answer after validation, normalised to 18 decimals.
    struct FeedAnswer {
        uint256 priceWad;
        uint80 roundId;
        uint256 updatedAt;
    }

    /// @dev Gas that must be left before each feed call (a Chainlink proxy read costs well under 30,000).
    uint256 internal constant MIN_GAS_FOR_FEED_CALL = 50_000;
    /// @dev Largest supported feed or token decimals.
    uint8 internal constant MAX_DECIMALS = 18;

    /// @dev `tryReadFeed` that reverts with the feed's error.
    function readFeed(StoredFeed memory config) internal view returns (FeedAnswer memory answer) {
        bytes memory err;
        (answer, err) = tryReadFeed(config);
        if (err.length != 0) revertWith(err);
    }

    /// @dev Reads and validates a feed: its `latestRoundData`, then its `decimals()` against the configured value,
    ///      then the answer. Returns the encoded custom error instead of reverting when a check fails (so the
    ///      primary's failure can be reported after trying the fallback); `err` is empty on success. Insufficient
    ///      gas reverts at once.
    function tryReadFeed(
        StoredFeed memory config
    ) internal view returns (FeedAnswer memory answer, bytes memory err) {
        address feed = address(config.feed);
        (bool ok, uint80 roundId, int256 raw, , uint256 updatedAt) = latestRoundData(feed);
        // The answer's scale: checked before the answer, which cannot be judged in the wrong decimals.
        uint8 currentDecimals;
        if (ok) (ok, currentDecimals) = readDecimals(feed, AggregatorV3Interface.decimals.selector);
        if (!ok)
            return (answer, abi.encodeWithSelector(IPriceAdapter.PriceAdapterFeedUnavailable.selector, feed));
        err = answerError(config, currentDecimals, raw, updatedAt);
        if (err.length != 0) return (answer, err);
        // 0 < raw <= maxAnswer, and maxAnswer * 10**(18 - decimals) fits in uint208 (checked when configured).
        answer.priceWad = uint256(raw) * 10 ** (MAX_DECIMALS - config.decimals);
        answer.roundId = roundId;
        answer.updatedAt = updatedAt;
    }

    /// @dev The encoded custom error of a feed's answer that fails a check (decimals changed since configured, not
    ///      positive, no or a future timestamp, older than the heartbeat, out of bounds); empty when it passes.
    function answerError(
        StoredFeed memory config,
        uint8 currentDecimals,
        int256 raw,
        uint256 updatedAt
    ) internal view returns (bytes memory) {
        address feed = address(config.feed);
        if (currentDecimals != config.decimals) {
            return
                abi.encodeWithSelector(
                    IPriceAdapter.PriceAdapterDecimalsChanged.selector,
                    feed,
                    config.decimals,
                    currentDecimals
                );
        }
        if (raw <= 0)
            return abi.encodeWithSelector(IPriceAdapter.PriceAdapterInvalidAnswer.selector, feed, raw);
        if (updatedAt == 0 || updatedAt > block.timestamp) {
            return
                abi.encodeWithSelector(IPriceAdapter.PriceAdapterInvalidTimestamp.selector, feed, updatedAt);
        }
        // No underflow: updatedAt <= block.timestamp was checked just above.
        unchecked {
            if (block.timestamp - updatedAt > config.heartbeat) {
                return
                    abi.encodeWithSelector(
                        IPriceAdapter.PriceAdapterStalePrice.selector,
                        feed,
                        updatedAt,
                        config.heartbeat
                    );
            }
        }
        if (raw < config.minAnswer || raw > config.maxAnswer) {
            return
                abi.encodeWithSelector(
                    IPriceAdapter.PriceAdapterAnswerOutOfBounds.selector,
                    feed,
                    raw,
                    config.minAnswer,
                    config.maxAnswer
                );
        }
        return "";
    }

    /// @dev `latestRoundData()` of `feed` through a gas-guarded low-level static call. `ok` is false when the
    ///      call reverts or returns fewer than five words or a round id above uint80; `answeredInRound` is
    ///      ignored. Reverts with `PriceAdapterInsufficientGas` when too little gas is left before the call,
    ///      or when a failed call left at most 1/64 of the gas held before it.
    function latestRoundData(
        address feed
    ) internal view returns (bool ok, uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt) {
        uint256 gasBefore = gasBeforeFeedCall();
        bytes4 selector = AggregatorV3Interface.latestRoundData.selector;
        bool success;
        uint256 size;
        uint256 rawRoundId;
        assembly ("memory-safe") {
            // Static call copying at most five words into scratch memory past the free pointer: a return bomb
            // costs no memory and malformed returndata cannot make abi.decode revert.
            let ptr := mload(0x40)
            mstore(ptr, selector)
            success := staticcall(gas(), feed, ptr, 0x04, ptr, 0xa0)
            size := returndatasize()
            rawRoundId := mload(ptr)
            answer := mload(add(ptr, 0x20))
            startedAt := mload(add(ptr, 0x40))
            updatedAt := mload(add(ptr, 0x60))
        }
        if (!success) {
            checkGasAfterFailedCall(gasBefore);
            return (false, 0, 0, 0, 0);
        }
        if (size < 0xa0 || rawRoundId > type(uint80).max) return (false, 0, 0, 0, 0);
        return (true, uint80(rawRoundId), answer, startedAt, updatedAt);
    }

    /// @dev Reads a `decimals()`-like `uint8` getter of `target` with a gas-guarded low-level static call (the guard
    ///      of `latestRoundData`); `ok` is false when the call reverts, returns less than one word, or a value
    ///      above 255.
    function readDecimals(address target, bytes4 selector) internal view returns (bool ok, uint8 value) {
        uint256 gasBefore = gasBeforeFeedCall();
        bool success;
        uint256 size;
        uint256 word;
        assembly ("memory-safe") {
            // Static call copying one word into scratch memory past the free pointer (see latestRoundData).
            let ptr := mload(0x40)
            mstore(ptr, selector)
            success := staticcall(gas(), target, ptr, 0x04, ptr, 0x20)
            size := returndatasize()
            word := mload(ptr)
        }
        if (!success) {
            checkGasAfterFailedCall(gasBefore);
            return (false, 0);
        }
        if (size < 0x20 || word > type(uint8).max) return (false, 0);
        return (true, uint8(word));
    }

    /// @dev The gas left before a feed call; reverts with `PriceAdapterInsufficientGas` below `MIN_GAS_FOR_FEED_CALL`.
    function gasBeforeFeedCall() internal view returns (uint256 gasBefore) {
        gasBefore = gasleft();
        if (gasBefore < MIN_GAS_FOR_FEED_CALL) {
            revert IPriceAdapter.PriceAdapterInsufficientGas(gasBefore, MIN_GAS_FOR_FEED_CALL);
        }
    }

    /// @dev After a failed feed call: reverts with `PriceAdapterInsufficientGas` when at most 1/64 of `gasBefore` is
    ///      left, i.e. the callee ran out of the gas it was forwarded (starved, or a feed burning all its gas).
    function checkGasAfterFailedCall(uint256 gasBefore) internal view {
        uint256 gasAfter = gasleft();
        if (gasAfter <= gasBefore / 64)
            revert IPriceAdapter.PriceAdapterInsufficientGas(gasAfter, gasBefore / 64);
    }

    /// @dev Validates a feed configuration and returns it with the feed's decimals, read now.
    function validatedFeed(
        IPriceAdapter.FeedConfig memory config
    ) internal view returns (StoredFeed memory stored) {
        address feed = address(config.feed);
        if (feed.code.length == 0) revert IPriceAdapter.PriceAdapterInvalidConfig("feed");
        if (config.heartbeat == 0) revert IPriceAdapter.PriceAdapterInvalidConfig("heartbeat");
        if (config.minAnswer <= 0) revert IPriceAdapter.PriceAdapterInvalidConfig("minAnswer");
        if (config.maxAnswer <= config.minAnswer) revert IPriceAdapter.PriceAdapterInvalidConfig("maxAnswer");
        (bool ok, uint8 feedDecimals) = readDecimals(feed, AggregatorV3Interface.decimals.selector);
        if (!ok) revert IPriceAdapter.PriceAdapterFeedUnavailable(feed);
        if (feedDecimals > MAX_DECIMALS)
            revert IPriceAdapter.PriceAdapterUnsupportedDecimals(feed, feedDecimals);
        // Every accepted answer, normalised to 18 decimals, must fit in uint208 (the cache's price field).
        if (uint256(config.maxAnswer) > type(uint208).max / 10 ** (MAX_DECIMALS - feedDecimals)) {
            revert IPriceAdapter.PriceAdapterInvalidConfig("maxAnswer");
        }
        return StoredFeed(config.feed, config.heartbeat, feedDecimals, config.minAnswer, config.maxAnswer);
    }

    function toConfig(StoredFeed memory stored) internal pure returns (IPriceAdapter.FeedConfig memory) {
        return IPriceAdapter.FeedConfig(stored.feed, stored.heartbeat, stored.minAnswer, stored.maxAnswer);
    }

    /// @dev Reverts with already-encoded revert data (a custom error built by `tryReadFeed`).
    function revertWith(bytes memory err) internal pure {
        assembly ("memory-safe") {
            // Re-raise the encoded custom error verbatim; Solidity has no statement to revert with raw bytes.
            revert(add(err, 0x20), mload(err))
        }
    }
}
