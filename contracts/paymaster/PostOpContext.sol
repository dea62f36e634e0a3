// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Context word 0: who pays and what was held: `mode (8) ‖ payer (160) ‖ held (64) ‖ markupBps (16) ‖ 0 (7) ‖
///         perUser (1)` (POLICY: the ledger held the user's usage).
type HoldTerms is uint256;
/// @notice Context word 1: `sender (160) ‖ callGasLimit (24) ‖ paymasterPostOpGasLimit (24) ‖ refreshAfter (48)`.
type OpGas is uint256;
/// @notice Context word 3: `priceWad (128) ‖ preOpGasBound (40) ‖ keepGas (24) ‖ extraOverhead (24) ‖ 0 (40)`.
type PriceTerms is uint256;

using {mode, payer, held, markupBps, perUser, withHeld, withPerUser} for HoldTerms global;
using {sender, callGasLimit, postOpGasLimit, refreshAfter, withSender} for OpGas global;
using {priceWad, preOpGasBound, keepGas, extraOverhead, withPrice} for PriceTerms global;

// ---------------------------------------------------------------- HoldTerms

/// @notice `ICreditPaymaster.Mode` of the operation.
function mode(HoldTerms t) pure returns (uint256) {
    return HoldTerms.unwrap(t) >> 248;
}

/// @notice Whose credits pay: the sender (SELF) or the sponsor.
function payer(HoldTerms t) pure returns (address) {
    return address(uint160(HoldTerms.unwrap(t) >> 88));
}

/// @notice Credits held in validation (in parsed paymaster data: the user's own `maxCredits`).
function held(HoldTerms t) pure returns (uint256) {
    return uint64(HoldTerms.unwrap(t) >> 24);
}

/// @notice The markup at validation, in basis points.
function markupBps(HoldTerms t) pure returns (uint256) {
    return uint16(HoldTerms.unwrap(t) >> 8);
}

/// @notice POLICY: whether the ledger held the user's credits and operation (the policy has a per-user limit).
function perUser(HoldTerms t) pure returns (bool) {
    return HoldTerms.unwrap(t) & 1 != 0;
}

/// @notice `t` with its perUser flag set (the flag is clear in `t`).
function withPerUser(HoldTerms t) pure returns (HoldTerms) {
    return HoldTerms.wrap(HoldTerms.unwrap(t) | 1);
}

/// @notice `t` with `held_` (< 2^64) in place of its held field and `markup` (< 2^16) as its markup.
function withHeld(HoldTerms t, uint256 held_, uint256 markup) pure returns (HoldTerms) {
    uint256 kept = HoldTerms.unwrap(t) & ~(uint256(type(uint64).max) << 24);
    return HoldTerms.wrap(kept | (held_ << 24) | (markup << 8));
}

// ---------------------------------------------------------------- OpGas

/// @notice The operation's sender (the beneficiary in SPONSORED mode).
function sender(OpGas g) pure returns (address) {
    return address(uint160(OpGas.unwrap(g) >> 96));
}

/// @notice The operation's `callGasLimit`.
function callGasLimit(OpGas g) pure returns (uint256) {
    return uint24(OpGas.unwrap(g) >> 72);
}

/// @notice The operation's `paymasterPostOpGasLimit`.
function postOpGasLimit(OpGas g) pure returns (uint256) {
    return uint24(OpGas.unwrap(g) >> 48);
}

/// @notice When postOp should refresh the cached price: the validation price's time + `maxPriceAge / 2`.
function refreshAfter(OpGas g) pure returns (uint256) {
    return uint48(OpGas.unwrap(g));
}

/// @notice `g` with `sender_` and `refreshAfter_` (< 2^48) set (both fields zero in `g`).
function withSender(OpGas g, address sender_, uint256 refreshAfter_) pure returns (OpGas) {
    return OpGas.wrap(OpGas.unwrap(g) | (uint256(uint160(sender_)) << 96) | refreshAfter_);
}

// ---------------------------------------------------------------- PriceTerms

/// @notice The cached price used in validation (stable units per native token, 18 decimals; < 2^128).
function priceWad(PriceTerms p) pure returns (uint256) {
    return PriceTerms.unwrap(p) >> 128;
}

/// @notice v0.7 upper bound of the validation gas: the verification limits, `preVerificationGas` and slack.
function preOpGasBound(PriceTerms p) pure returns (uint256) {
    return uint40(PriceTerms.unwrap(p) >> 88);
}

/// @notice The operation's postOp gas floor: what postOp must still have after a price refresh.
function keepGas(PriceTerms p) pure returns (uint256) {
    return uint24(PriceTerms.unwrap(p) >> 64);
}

/// @notice Gas postOp adds to its overhead constant (a large operation's memory term and the configured margin).
function extraOverhead(PriceTerms p) pure returns (uint256) {
    return uint24(PriceTerms.unwrap(p) >> 40);
}

/// @notice `p` with `priceWad_` (< 2^128) set (the field is zero in `p`).
function withPrice(PriceTerms p, uint256 priceWad_) pure returns (PriceTerms) {
    return PriceTerms.wrap(PriceTerms.unwrap(p) | (priceWad_ << 128));
}

/**
 * @title PostOpContext
 * @notice The 128-byte context (160 bytes in POLICY mode: the policy id appended) the credit paymaster's validation hands its `postOp`: four words, built with
 *         the typed constructors below and read through the named getters of {HoldTerms}, {OpGas} and
 *         {PriceTerms} (word 2 is the `userOpHash`). One place for every offset.
 */
library PostOpContext {
    /// @notice Hold terms without the hold (`held` carries the user's own limit until the hold is placed).
    function holdTerms(
        uint256 mode_,
        address payer_,
        uint256 userMaxCredits
    ) internal pure returns (HoldTerms) {
        return HoldTerms.wrap((mode_ << 248) | (uint256(uint160(payer_)) << 88) | (userMaxCredits << 24));
    }

    /// @notice The gas limits postOp needs (both < 2^24), sender and refresh time to be set.
    function opGas(uint256 callGasLimit_, uint256 postOpGasLimit_) internal pure returns (OpGas) {
        return OpGas.wrap((callGasLimit_ << 72) | (postOpGasLimit_ << 48));
    }

    /// @notice The gas bounds (preOpGasBound < 2^40, the others < 2^24), the price to be set.
    function priceTerms(
        uint256 preOpGasBound_,
        uint256 keepGas_,
        uint256 extraOverhead_
    ) internal pure returns (PriceTerms) {
        return PriceTerms.wrap((preOpGasBound_ << 88) | (keepGas_ << 64) | (extraOverhead_ << 40));
    }

    /// @notice The context bytes: the four words ABI-encoded.
    function encode(
        HoldTerms terms,
        OpGas gas,
        bytes32 userOpHash,
        PriceTerms price
    ) internal pure returns (bytes memory) {
        return abi.encode(terms, gas, userOpHash, price);
    }

    /// @notice The policy id of a POLICY context: its fifth word, appended by validation.
    function policyId(bytes calldata context) internal pure returns (uint256 id) {
        assembly ("memory-safe") {
            // word 4 of a POLICY context (validation appends it to the four words of {encode})
            id := calldataload(add(context.offset, 128))
        }
    }

    /// @notice The four words of a context produced by {encode}, read with one `abi.decode`.
    function decode(
        bytes calldata context
    ) internal pure returns (HoldTerms terms, OpGas gas, bytes32 userOpHash, PriceTerms price) {
        return abi.decode(context, (HoldTerms, OpGas, bytes32, PriceTerms));
    }
}
