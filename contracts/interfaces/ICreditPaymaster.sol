// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/**
 * @title ICreditPaymaster
 * @notice An ERC-4337 paymaster that pays for user operations with compute credits of the credit ledger.
 *
 * ## `paymasterAndData` layout
 * ```
 * offset  size  field
 *      0    20  paymaster address                         (EntryPoint)
 *     20    16  paymasterVerificationGasLimit             (EntryPoint)
 *     36    16  paymasterPostOpGasLimit                   (EntryPoint)
 *     52     1  mode: 0 = SELF (the sender pays from its own credits)
 *                     1 = SPONSORED (a sponsor pays, within the allowance it gave the sender)
 * SELF (total length exactly 61):
 *     53     8  maxCredits (uint64, big-endian): the most credits the user accepts to be held for this
 *               operation; 0 = no limit of the user's own (the governance cap still applies)
 * SPONSORED (total length exactly 81):
 *     53    20  sponsor address
 *     73     8  maxCredits (as above)
 * ```
 * Any other length, or an unknown mode, is rejected with a custom error; nothing is ever misparsed.
 *
 * ## Accounting
 * Validation holds the worst case: `ceil(maxCost × price × markup)` credits (at least 1), where `maxCost` is the
 * EntryPoint's required prefund (all five gas limits × `maxFeePerGas`). `postOp` charges `actualGasCost`, plus an
 * upper bound of the gas the EntryPoint still bills after that point (the rest of `postOp`, the EntryPoint's code
 * around it and the unused-gas penalty of this EntryPoint version), at the operation's gas price, converted at the
 * price used in validation, rounded up, capped at the hold.
 *
 * Charging in `postOp` is only sound if `postOp` is never rolled back, because on both EntryPoints a rolled-back
 * `postOp` leaves the paymaster paying without any credit burned:
 * - `PostOpReverted`: `postOp` never reverts for a context produced by validation, given its gas limit;
 * - low prefund (`INNER_REVERT_LOW_PREFUND`): the EntryPoint reverts `innerHandleOp`, settlement included, and
 *   takes the whole prefund when the gas it bills exceeds the prefund. It bills gas that no limit meters (its
 *   code around the call and `postOp`, up to 2,048 bytes of the call's revert reason copied and logged, memory
 *   that grows with the operation's size). Validation therefore requires `paymasterPostOpGasLimit` to be at
 *   least {minPostOpGasLimit}: the most `postOp` uses in its mode plus `EntryPointGas.unmeteredReserve`, an
 *   upper bound of that unmetered gas for the operation's size (with v0.7's 10% penalty), and `postOp` only
 *   spends gas on the optional price refresh when the reserve stays untouched. The billed gas then never exceeds
 *   the prefund, and the same reserve keeps a bundler from starving `postOp` through the 63/64 rule.
 * Credits turn back into ETH only through the priority fee a self-bundling beneficiary keeps, at most
 * `maxPriorityFeePerGas` wei per gas of its operations (a governance cap).
 *
 * ## ERC-7562
 * Validation reads no banned opcode; it reads its own configuration, the price adapter's cached price and
 * the ledger (read-only external storage: requires a staked paymaster) and writes only transient ledger
 * slots associated with this paymaster. Time limits are returned as `validUntil`: the cached price's time +
 * `maxPriceAge`, and no later than the credits or allowance relied on stay valid.
 */
interface ICreditPaymaster {
    /// @notice Who pays for an operation.
    enum Mode {
        SELF,
        SPONSORED,
        POLICY
    }

    /// @notice A gas field of a user operation, as named in errors.
    enum GasField {
        CALL_GAS_LIMIT,
        VERIFICATION_GAS_LIMIT,
        PRE_VERIFICATION_GAS,
        PAYMASTER_VERIFICATION_GAS_LIMIT,
        PAYMASTER_POST_OP_GAS_LIMIT,
        MAX_FEE_PER_GAS,
        MAX_PRIORITY_FEE_PER_GAS
    }

    /**
     * @notice Governance-set limits and parameters, packed in two storage slots (read once per validation).
     * @param maxCallGasLimit Cap on the operation's `callGasLimit`.
     * @param maxPreVerificationGas Cap on `preVerificationGas`.
     * @param maxVerificationGasLimit Cap on `verificationGasLimit`.
     * @param maxPaymasterVerificationGasLimit Cap on `paymasterVerificationGasLimit`.
     * @param maxPaymasterPostOpGasLimit Cap on `paymasterPostOpGasLimit` (and at least `MIN_POST_OP_GAS`).
     * @param maxFeePerGas Cap on `maxFeePerGas` (wei).
     * @param maxPriorityFeePerGas Cap on `maxPriorityFeePerGas` (wei): bounds the ETH a beneficiary that bundles
     *        its own operations gets back from the deposit (the bundler keeps the priority fee).
     * @param postOpGasMargin Gas added to the postOp gas floor and to the postOp overhead `postOp` charges for: 0 on
     *        Ethereum's gas schedule, for which the constants are measured; more on a chain where storage, logs or
     *        calls cost more, or for an instrumented build (coverage). It can only make operations dearer, never
     *        cheaper than what the EntryPoint bills.
     * @param maxCreditsPerOp Cap on the credits held for one operation.
     * @param markupBps Price multiplier in basis points, from 10_000 (1×) to `MAX_MARKUP_BPS`.
     * @param maxPriceAge Seconds the cached price stays usable: `validUntil = cachedTime + maxPriceAge`.
     * @param paused Whether new operations are refused (postOp of validated operations still settles).
     */
    struct Config {
        uint24 maxCallGasLimit;
        uint32 maxPreVerificationGas;
        uint24 maxVerificationGasLimit;
        uint24 maxPaymasterVerificationGasLimit;
        uint24 maxPaymasterPostOpGasLimit;
        uint48 maxFeePerGas;
        uint40 maxCreditsPerOp;
        uint16 markupBps;
        uint16 maxPriceAge;
        bool paused;
        uint48 maxPriorityFeePerGas;
        uint24 postOpGasMargin;
    }

    // ------------------------------------------------------------------ errors
    /// @notice Only the EntryPoint may call validation and postOp.
    error CreditPaymasterNotFromEntryPoint(address caller);
    /// @notice The EntryPoint is neither v0.7 nor v0.8.
    error CreditPaymasterUnsupportedEntryPoint(address entryPoint);
    /// @notice The paymaster data has the wrong length for `mode` (expected `expected` bytes after offset 52).
    error CreditPaymasterInvalidDataLength(uint256 mode, uint256 length, uint256 expected);
    /// @notice The paymaster data names an unknown mode.
    error CreditPaymasterUnknownMode(uint256 mode);
    /// @notice The sponsor is the zero address.
    error CreditPaymasterZeroSponsor();
    /// @notice A gas field of the operation exceeds its governance cap.
    error CreditPaymasterGasLimitTooHigh(GasField field, uint256 value, uint256 cap);
    /// @notice The operation's `paymasterPostOpGasLimit` is below {minPostOpGasLimit} for its mode and size: what
    ///         `postOp` needs plus the EntryPoint's unmetered gas, which must stay unused.
    error CreditPaymasterPostOpGasTooLow(uint256 value, uint256 minimum);
    /// @notice The adapter's cached price does not fit in the 96 bits the ledger's `CreditsSpent` logs it in.
    error CreditPaymasterPriceTooHigh(uint256 priceWad);
    /// @notice The worst-case credits of the operation exceed the governance cap per operation.
    error CreditPaymasterCreditsPerOpTooHigh(uint256 credits, uint256 cap);
    /// @notice The worst-case credits of the operation exceed the user's own `maxCredits`.
    error CreditPaymasterUserLimitExceeded(uint256 credits, uint256 maxCredits);
    /// @notice The paymaster is paused.
    error CreditPaymasterPaused();
    /// @notice The caller may not pause (guardian or owner only).
    error CreditPaymasterUnauthorizedGuardian(address caller);
    /// @notice A configuration value is invalid; `reason` names it.
    error CreditPaymasterInvalidConfig(string reason);
    /// @notice A zero address was given where a contract is required.
    error CreditPaymasterZeroAddress();

    // ------------------------------------------------------------------ events
    // One event per charged operation: the ledger's `CreditsSpent` (ref = userOpHash; spenderData =
    // `mode << 248 | policyId << 192 | priceWad << 96 | gasCostWei`), not a second one here.
    /// @notice The configuration changed.
    event ConfigUpdated(Config config);
    /// @notice A guardian was added or removed.
    event GuardianSet(address indexed guardian, bool allowed);
    /// @notice The paymaster was paused or unpaused by `by`.
    event PausedSet(bool paused, address indexed by);
    /// @notice `postOp` tried to refresh the adapter's cached price and failed (the operation still settled); no
    ///         operation tries again before `retryAfter` (a failing feed cannot tax every operation).
    event PriceRefreshFailed(uint256 retryAfter);

    // ------------------------------------------------------------------ admin
    /// @notice Sets the configuration (owner only). Validates every field; keeps `paused` as it is.
    function setConfig(Config calldata config) external;

    /// @notice Adds or removes a guardian (owner only).
    function setGuardian(address guardian, bool allowed) external;

    /// @notice Pauses (guardian or owner) or unpauses (owner only) new operations.
    function setPaused(bool paused) external;

    // ------------------------------------------------------------------ views
    /// @notice The current configuration.
    function config() external view returns (Config memory);

    /// @notice Whether `account` is a guardian.
    function isGuardian(address account) external view returns (bool);

    /// @notice The EntryPoint version this paymaster serves: 7 or 8.
    function entryPointVersion() external view returns (uint256);

    /// @notice The smallest `paymasterPostOpGasLimit` validation accepts for `userOp`: the most `postOp` uses in
    ///         the operation's mode plus the EntryPoint's unmetered execution gas for the operation's size (see
    ///         {EntryPointGas}). Reverts as validation does on malformed paymaster data.
    function minPostOpGasLimit(PackedUserOperation calldata userOp) external view returns (uint256);

    /// @notice As {minPostOpGasLimit}, from the mode and the byte length of the `validatePaymasterUserOp` call
    ///         data the EntryPoint sends for the operation (`4 + 96 + ` the ABI-encoded operation's length).
    function postOpGasFloor(Mode mode, uint256 validationCallDataLength) external view returns (uint256);

    /// @notice Timestamp before which `postOp` does not try to refresh the cached price again after a failure.
    function priceRefreshRetryAfter() external view returns (uint256);

    /// @notice The worst-case credits (what validation holds) for an operation whose prefund is `maxCost` wei,
    ///         at the current cached price and markup.
    function worstCaseCredits(uint256 maxCost) external view returns (uint256 credits);

    /// @notice Credits for `weiAmount` at `priceWad` and the current markup, rounded up (as validation and postOp
    ///         compute them). Reverts (arithmetic overflow) when `weiAmount × priceWad × markupBps` exceeds 2^256.
    function creditsForGasCost(uint256 weiAmount, uint256 priceWad) external view returns (uint256 credits);
}
