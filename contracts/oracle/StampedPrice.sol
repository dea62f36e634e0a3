// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/**
 * @notice A price and the time it was recorded, in one word: `priceWad (208) | timestamp << 208 (48)`. The price
 *         adapter keeps its cached price and the fallback's reference price this way, so that reading either is one
 *         SLOAD whatever the optimizer settings. The empty value (timestamp 0) means "never recorded".
 */
type StampedPrice is uint256;

using {priceWad, timestamp} for StampedPrice global;

/// @notice The price, 18 decimals.
function priceWad(StampedPrice s) pure returns (uint256) {
    return uint208(StampedPrice.unwrap(s));
}

/// @notice When it was recorded (0: never).
function timestamp(StampedPrice s) pure returns (uint256) {
    return StampedPrice.unwrap(s) >> 208;
}

/// @title StampedPrices
/// @notice Builds {StampedPrice} values.
library StampedPrices {
    /// @notice `price` (reverts above 2^208 − 1) stamped with `time` (reverts above 2^48 − 1).
    function stamp(uint256 price, uint256 time) internal pure returns (StampedPrice) {
        return
            StampedPrice.wrap(uint256(SafeCast.toUint208(price)) | (uint256(SafeCast.toUint48(time)) << 208));
    }
}
