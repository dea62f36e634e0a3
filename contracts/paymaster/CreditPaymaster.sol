// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {_packValidationData} from "@account-abstraction/contracts/core/Helpers.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ICreditHolds} from "../interfaces/ICreditHolds.sol";
import {ICreditPaymaster} from "../interfaces/ICreditPaymaster.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";
import {ISponsorPolicies} from "../interfaces/ISponsorPolicies.sol";
import {EntryPointGas} from "./EntryPointGas.sol";
import {GasCaps} from "./GasCaps.sol";
import {PaymasterSettings} from "./PaymasterSettings.sol";
import {PolicyApprovals} from "./PolicyApprovals.sol";
import {HoldTerms, OpGas, PostOpContext, PriceTerms} from "./PostOpContext.sol";

/**
 * @title CreditPaymaster
 * @notice ERC-4337 paymaster that burns compute credits of the {ICreditHolds} ledger to pay for user operations,
 *         on the canonical EntryPoint v0.7 or v0.8 (one deployment per EntryPoint).
 * @dev Administration: `owner()` (Ownable2Step, inherited from {BasePaymaster}, whose deposit and stake functions
 *      are `onlyOwner`) is the admin — the DAO timelock in production. Guardians may only pause.
 *      The ledger and the price adapter are immutable: switching either means deploying a new paymaster.
 *      The paymaster must be staked on its EntryPoint: its validation reads the ledger's and the adapter's storage.
 */
contract CreditPaymaster is PaymasterSettings, PolicyApprovals {
    /// @notice Most gas `postOp` uses for a SELF operation, without the optional price refresh (measured worst
    ///         case: a charge spanning grant buckets with an expired one skipped, a refresh due but not run: 18,844
    ///         while postOp still emitted its own ~2,640-gas event, lowered by 2,500 when the ledger's `CreditsSpent`
    ///         became the one event per operation; see docs/paymaster.md). With {EntryPointGas.unmeteredReserve} it
    ///         makes the postOp gas floor.
    uint256 public constant POST_OP_GAS_SELF = 23_500;
    /// @notice As `POST_OP_GAS_SELF`, for SPONSORED operations (settlement also releases the allowance hold and
    ///         records the allowance spending; 23,884 measured with the paymaster's event, lowered by 2,500 likewise).
    uint256 public constant POST_OP_GAS_SPONSORED = 28_500;
    /// @notice As `POST_OP_GAS_SELF`, for POLICY operations (settlement also releases the policy and user holds and
    ///         records the policy's and the user's spending: a user's first operation writes a zero usage slot, 20,000
    ///         gas). Worst case: a sender's first operation, a sponsor whose charge spans grant buckets with an
    ///         expired one skipped, 2 KB revert reason (`test/security/policies.security.test.ts`); 52,000 left
    ///         ~6,600 (v0.7) and ~9,100 (v0.8) gas spare with the paymaster's event, lowered by 2,500 without it.
    uint256 public constant POST_OP_GAS_POLICY = 49_500;
    /// @notice Gas billed by the EntryPoint for a SELF operation's postOp phase that `postOp` cannot observe when
    ///         it prices the operation: the EntryPoint's own code around the call and the rest of `postOp` after the
    ///         measurement (settlement and the ledger's event), for a small operation (a larger one adds
    ///         {EntryPointGas.postOpCallMemoryGas}). The ledger's settlement is built to cost a small, nearly
    ///         constant amount (no zero-to-nonzero write, no sweep). The spare is measured by the solvency tests
    ///         (`SOLVENCY_MARGINS=1 npx hardhat test test/security/lowPrefund.security.test.ts
    ///         test/security/policies.security.test.ts test/paymaster/CreditPaymaster.test.ts`, whose worst case is
    ///         the first operation of a bundle with a charge spanning grant buckets, an expired one skipped): the
    ///         smallest margin by which postOp prices above what the EntryPoint bills is ~2,600 gas (SELF).
    uint256 public constant POST_OP_OVERHEAD_GAS_SELF = 21_000;
    /// @notice As `POST_OP_OVERHEAD_GAS_SELF`, for SPONSORED operations (settlement also releases the allowance
    ///         hold and records the allowance spending): smallest margin ~3,200 gas.
    uint256 public constant POST_OP_OVERHEAD_GAS_SPONSORED = 26_000;
    /// @notice As `POST_OP_OVERHEAD_GAS_SELF`, for POLICY operations (a user's first operation writes its zero usage
    ///         slot: 20,000 gas more than a returning user's): smallest margin ~5,200 gas.
    uint256 public constant POST_OP_OVERHEAD_GAS_POLICY = 48_000;
    /// @notice Gas given to the opportunistic refresh of the adapter's cached price in `postOp`.
    uint256 public constant PRICE_REFRESH_GAS = 150_000;
    /// @notice Seconds `postOp` waits before trying again to refresh the cached price after a failed refresh.
    uint256 public constant PRICE_REFRESH_RETRY_DELAY = 600;
    /// @dev Gas `postOp` must have before it tries the refresh, besides what must be left afterwards: the refresh's
    ///      budget, what the 63/64 rule keeps back from it (so that the adapter surely gets the whole budget and a
    ///      failure is the feed's, not a starved call's), and the call's own cost.
    ///      A failed refresh then records the retry time (a non-zero to non-zero write: 5,000) and emits an event.
    uint256 private constant PRICE_REFRESH_COST = PRICE_REFRESH_GAS + PRICE_REFRESH_GAS / 63 + 12_000;
    /// @dev ERC-165 id of EntryPoint v0.7's `IEntryPoint` (handleOps, handleAggregatedOps, getUserOpHash,
    ///      getSenderAddress, delegateAndRevert); v0.8 adds `senderCreator()`.
    bytes4 private constant ENTRY_POINT_V07_INTERFACE_ID = 0x915074d8;
    /// @dev Scale of `credits = wei × priceWad × markupBps / CREDIT_SCALE`: 1e18 (wei per token) × 1e18 (WAD) /
    ///      1e6 (credit decimals) × 1e4 (basis points).
    uint256 private constant CREDIT_SCALE = 1e34;

    /// @dev The low 160 bits: an address in a word.
    uint256 private constant ADDRESS_MASK = (1 << 160) - 1;

    uint256 private constant SELF_DATA_LENGTH = 61;
    uint256 private constant SPONSORED_DATA_LENGTH = 81;

    /// @notice The credit ledger whose credits this paymaster holds and burns.
    ICreditHolds public immutable ledger;
    /// @notice The price adapter whose cached price prices gas in credits.
    IPriceAdapter public immutable priceAdapter;
    /// @dev True when serving EntryPoint v0.7 (different unused-gas penalty rules).
    bool private immutable _isV07;

    /// @dev Timestamp before which `postOp` does not try to refresh the cached price again (after a failure).
    uint48 private _refreshRetryAfter;

    /**
     * @param entryPoint_ The canonical EntryPoint v0.7 or v0.8.
     * @param ledger_ The credit ledger (this paymaster must be registered there as a spender).
     * @param priceAdapter_ The price adapter.
     * @param admin The owner (admin) of the paymaster: the DAO timelock in production.
     * @param initialConfig The initial configuration (validated as by {setConfig}).
     * @param unstakeDelaySec With `stakeAmount > 0`: the EntryPoint unstake delay of the stake added here.
     * @param stakeAmount Part of `msg.value` staked on the EntryPoint; the rest is deposited. Staking and funding
     *        in the constructor lets the deployer hand the paymaster straight to `admin` and keep nothing.
     */
    constructor(
        IEntryPoint entryPoint_,
        ICreditHolds ledger_,
        IPriceAdapter priceAdapter_,
        address admin,
        Config memory initialConfig,
        uint32 unstakeDelaySec,
        uint256 stakeAmount
    ) payable BasePaymaster(entryPoint_) {
        if (address(ledger_) == address(0) || address(priceAdapter_) == address(0) || admin == address(0)) {
            revert CreditPaymasterZeroAddress();
        }
        ledger = ledger_;
        priceAdapter = priceAdapter_;
        _isV07 = !IERC165(address(entryPoint_)).supportsInterface(type(IEntryPoint).interfaceId);
        _setConfig(initialConfig, false);
        // Never zero, so that recording a failed refresh is a 5,000-gas write, not a 22,100-gas one.
        _refreshRetryAfter = 1;
        if (stakeAmount > msg.value) revert CreditPaymasterInvalidConfig("stakeAmount");
        if (stakeAmount > 0) entryPoint_.addStake{value: stakeAmount}(unstakeDelaySec);
        if (msg.value > stakeAmount) entryPoint_.depositTo{value: msg.value - stakeAmount}(address(this));
        _transferOwnership(admin);
    }

    // ------------------------------------------------------------------ ERC-4337

    /// @dev Validation: parse the paymaster data, check the caps and the postOp gas floor, hold the worst case in
    ///      credits. The context is a {PostOpContext}.
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        Config memory cfg = _config;
        if (cfg.paused) revert CreditPaymasterPaused();
        HoldTerms terms = _parsePaymasterData(userOp.paymasterAndData, userOp.sender);
        // The call data of this call encodes the whole operation: its size bounds the EntryPoint's execution-frame
        // memory, hence its unmetered gas.
        (OpGas gas, PriceTerms price) = _checkGasLimits(
            cfg,
            userOp,
            terms.mode(),
            _callDataWords(msg.data.length)
        );

        (uint256 priceWad_, uint256 priceTime) = _validationPrice();
        // maxCost is the EntryPoint's required prefund: the most it can take from the deposit for this op.
        (terms, validationData) = _holdWithin(
            cfg,
            terms,
            userOp,
            _ceilCredits(maxCost, priceWad_ * cfg.markupBps),
            priceTime
        );

        // The adapter keeps its cache time in 48 bits, set from block.timestamp (far below 2^47), so refreshAfter =
        // priceTime + maxPriceAge / 2 < 2^48; the price fits in 96 bits (checked above).
        context = PostOpContext.encode(
            terms,
            gas.withSender(userOp.sender, priceTime + cfg.maxPriceAge / 2),
            userOpHash,
            price.withPrice(priceWad_)
        );
        // POLICY: the policy id in a fifth word (bytes 53..80 of the data hold sponsor ‖ policyId).
        if (terms.mode() == uint256(Mode.POLICY)) {
            context = bytes.concat(
                context,
                bytes32(uint256(uint64(_calldataWord(userOp.paymasterAndData, 53) >> 32)))
            );
        }
    }

    /// @dev {_hold}, then the validation data: the window of the hold (and approval) within the cached price's
    ///      validity (`priceTime + maxPriceAge`), and whether the approval failed.
    function _holdWithin(
        Config memory cfg,
        HoldTerms parsed,
        PackedUserOperation calldata userOp,
        uint256 worst,
        uint256 priceTime
    ) private returns (HoldTerms terms, uint256 validationData) {
        uint256 validUntil;
        uint256 validAfter;
        bool sigFailed;
        (terms, validUntil, validAfter, sigFailed) = _hold(cfg, parsed, userOp, worst, priceTime);
        validUntil = Math.min(validUntil, priceTime + cfg.maxPriceAge);
        validationData = _packValidationData(sigFailed, uint48(validUntil), uint48(validAfter));
    }

    /**
     * @dev Checks the worst case `worst` against the caps and places the hold on the ledger (at least one credit
     *      unit, so that every settlement pairs with a real hold: the ledger refuses empty ones). `parsed` is the
     *      paymaster data as {_parsePaymasterData} returns it (the user's own limit in the `held` field). Returns
     *      the hold terms (held <= maxCreditsPerOp, a uint40), until when the credits (allowance, policy, approval)
     *      relied on stay valid, from when (POLICY: the policy's start and the approval's) and whether the POLICY
     *      approval failed.
     */
    function _hold(
        Config memory cfg,
        HoldTerms parsed,
        PackedUserOperation calldata userOp,
        uint256 worst,
        uint256 asOf
    ) private returns (HoldTerms terms, uint256 validUntil, uint256 validAfter, bool sigFailed) {
        uint256 userMaxCredits = parsed.held();
        uint256 held_ = worst == 0 ? 1 : worst;
        if (held_ > cfg.maxCreditsPerOp)
            revert CreditPaymasterCreditsPerOpTooHigh(held_, cfg.maxCreditsPerOp);
        if (userMaxCredits != 0 && held_ > userMaxCredits) {
            revert CreditPaymasterUserLimitExceeded(held_, userMaxCredits);
        }
        uint256 mode_ = parsed.mode();
        if (mode_ == uint256(Mode.SELF)) {
            validUntil = _callHold(ICreditHolds.hold.selector, parsed.payer(), address(0), held_, asOf);
        } else if (mode_ == uint256(Mode.SPONSORED)) {
            validUntil = _callHold(
                ICreditHolds.holdSponsored.selector,
                parsed.payer(),
                userOp.sender,
                held_,
                asOf
            );
        } else {
            bool perUser_;
            (validUntil, validAfter, sigFailed, perUser_) = _holdUnderPolicy(
                ISponsorPolicies(address(ledger)),
                userOp,
                held_,
                asOf
            );
            terms = parsed.withHeld(held_, cfg.markupBps);
            return (perUser_ ? terms.withPerUser() : terms, validUntil, validAfter, sigFailed);
        }
        terms = parsed.withHeld(held_, cfg.markupBps);
    }

    /**
     * @dev Parses and checks the paymaster data (layout in {ICreditPaymaster}) from one calldata word: the mode
     *      byte and the 28 bytes after it. Only bytes within `data.length` are used: the length is checked against
     *      the mode's exact length before any field after the mode byte is read. Returns the hold terms with the
     *      user's own limit in the place of the hold (one stack slot instead of three).
     */
    function _parsePaymasterData(bytes calldata data, address sender_) private pure returns (HoldTerms) {
        uint256 length = data.length;
        // The EntryPoint guarantees data.length >= PAYMASTER_DATA_OFFSET (52) when a paymaster is set.
        if (length == PAYMASTER_DATA_OFFSET) {
            revert CreditPaymasterInvalidDataLength(0, 0, SELF_DATA_LENGTH - PAYMASTER_DATA_OFFSET);
        }
        uint256 word = _calldataWord(data, PAYMASTER_DATA_OFFSET);
        uint256 mode_ = word >> 248;
        if (mode_ == uint256(Mode.SELF)) {
            _checkLength(mode_, length, SELF_DATA_LENGTH);
            return PostOpContext.holdTerms(mode_, sender_, uint64(word >> 184)); // maxCredits: bytes 53..60
        }
        if (mode_ == uint256(Mode.SPONSORED)) {
            _checkLength(mode_, length, SPONSORED_DATA_LENGTH);
            address sponsor = address(uint160(word >> 88)); // bytes 53..72
            if (sponsor == address(0)) revert CreditPaymasterZeroSponsor();
            return PostOpContext.holdTerms(mode_, sponsor, uint64(word >> 24)); // maxCredits: bytes 73..80
        }
        if (mode_ == uint256(Mode.POLICY)) {
            // Without an approval, or with one whose signature has at least one byte.
            if (length != POLICY_DATA_LENGTH && length <= APPROVAL_SIGNATURE_OFFSET) {
                _checkLength(mode_, length, POLICY_DATA_LENGTH);
            }
            address sponsor = address(uint160(word >> 88)); // bytes 53..72
            if (sponsor == address(0)) revert CreditPaymasterZeroSponsor();
            // maxCredits: bytes 81..88, after policyId (73..80)
            return PostOpContext.holdTerms(mode_, sponsor, uint64(_calldataWord(data, 81) >> 192));
        }
        revert CreditPaymasterUnknownMode(mode_);
    }

    /**
     * @dev postOp: price the operation, settle the hold (burn the charge, release the rest), emit the charge.
     *      Never reverts for a context produced by validation when given its gas limit, and never uses the part of
     *      that limit reserved for the EntryPoint's unmetered gas (see {EntryPointGas}): `keepGas` is the postOp floor
     *      (its own need, the configured margin and the reserve) and `extraOverhead` what it adds to the overhead
     *      constant (the memory term of a large operation and the configured `postOpGasMargin`).
     */
    function _postOp(
        PostOpMode,
        bytes calldata context,
        uint256 actualGasCost,
        uint256 actualUserOpFeePerGas
    ) internal override {
        (HoldTerms terms, OpGas gas, bytes32 userOpHash, PriceTerms price) = PostOpContext.decode(context);
        _maybeRefreshPrice(gas.refreshAfter(), price.keepGas());

        uint256 mode_ = terms.mode();
        uint256 gasCostWei = _billedGasCost(gas, price, mode_, actualGasCost, actualUserOpFeePerGas);

        // The EntryPoint never takes more than the prefund, whose value the hold covers; the bound of the unseen gas
        // can exceed what is left of the prefund, and settling more than the hold would make postOp revert.
        uint256 charge = Math.min(
            _ceilCredits(gasCostWei, price.priceWad() * terms.markupBps()),
            terms.held()
        );

        // The ledger's CreditsSpent is the one event per operation: it carries the userOpHash (`ref`), the payer,
        // the sender, the charge and, in `spenderData`, `mode << 248 | policyId << 192 | priceWad << 96 | gasCostWei`.
        // priceWad < 2^96 was checked in validation; gasCostWei < 2^82 (see {_ceilCredits}); policy ids are a
        // sponsor's counter (a hold under an id that was never created fails), far below 2^56.
        uint256 policyId_ = mode_ == uint256(Mode.POLICY) ? PostOpContext.policyId(context) : 0;
        _settle(
            mode_,
            terms,
            gas.sender(),
            policyId_,
            charge,
            userOpHash,
            (mode_ << 248) | (policyId_ << 192) | (price.priceWad() << 96) | gasCostWei
        );
    }

    /// @dev Settles the hold of `terms` on the ledger in its mode `mode_` (`terms.mode()`), burning `charge`.
    function _settle(
        uint256 mode_,
        HoldTerms terms,
        address sender_,
        uint256 policyId_,
        uint256 charge,
        bytes32 userOpHash,
        uint256 spenderData
    ) private {
        if (mode_ == uint256(Mode.SELF)) {
            _callSettle(
                ICreditHolds.settle.selector,
                terms.payer(),
                address(0),
                terms.held(),
                charge,
                userOpHash,
                spenderData
            );
        } else if (mode_ == uint256(Mode.SPONSORED)) {
            _callSettle(
                ICreditHolds.settleSponsored.selector,
                terms.payer(),
                sender_,
                terms.held(),
                charge,
                userOpHash,
                spenderData
            );
        } else {
            _callSettlePolicy(terms, policyId_, sender_, charge, userOpHash, spenderData);
        }
    }

    /**
     * @dev The operation's cost in wei as postOp bounds it: the EntryPoint's `actualGasCost` so far, plus postOp's gas
     *      (used so far, the rest and the EntryPoint's code around it) and the unused-gas penalty still to come.
     */
    function _billedGasCost(
        OpGas gas,
        PriceTerms price,
        uint256 mode_,
        uint256 actualGasCost,
        uint256 actualUserOpFeePerGas
    ) private view returns (uint256) {
        uint256 postOpLimit = gas.postOpGasLimit();
        uint256 gasLeft = gasleft();
        // Safe: every operand is bounded by the EntryPoint's uint120 limits and the caps checked in validation.
        unchecked {
            // Gas billed for postOp: what it used so far (gasLeft <= postOpLimit), plus the rest and the EntryPoint's
            // code around the call, bounded by the POST_OP_OVERHEAD_GAS_* constants and the extra overhead.
            uint256 postOpGas = postOpLimit - gasLeft + _postOpOverheadGas(mode_) + price.extraOverhead();
            uint256 penaltyGas = EntryPointGas.unusedGasPenaltyBound(
                _isV07,
                gas.callGasLimit(),
                price.preOpGasBound(),
                actualUserOpFeePerGas == 0 ? 0 : actualGasCost / actualUserOpFeePerGas,
                postOpLimit,
                gasLeft
            );
            return actualGasCost + (postOpGas + penaltyGas) * actualUserOpFeePerGas;
        }
    }

    /**
     * @dev Refreshes the adapter's cached price when it is older than half `maxPriceAge`, unless a refresh failed
     *      less than `PRICE_REFRESH_RETRY_DELAY` ago, and only with gas to spare: the adapter must get its whole
     *      budget and `keepGas` (what the rest of postOp needs plus the EntryPoint's unmetered reserve) must be left
     *      after it. A failure never reverts postOp. `refreshAfter` is the validation price's time + maxPriceAge / 2,
     *      carried in the context so that the steady path reads no storage.
     */
    function _maybeRefreshPrice(uint256 refreshAfter, uint256 keepGas) private {
        if (block.timestamp <= refreshAfter) return;
        // Another operation of this bundle may already have refreshed it.
        (, uint256 cachedTime) = _cachedPrice();
        if (block.timestamp <= cachedTime + _config.maxPriceAge / 2) return;
        if (block.timestamp < _refreshRetryAfter) return;
        if (gasleft() < PRICE_REFRESH_COST + keepGas) return;
        // Success needs no action here: the adapter emits CachedPriceRefreshed.
        // solhint-disable-next-line no-empty-blocks
        try priceAdapter.refreshCachedPrice{gas: PRICE_REFRESH_GAS}() {} catch {
            // block.timestamp + 600 fits in 48 bits for the next eight million years
            uint48 retryAfter = uint48(block.timestamp + PRICE_REFRESH_RETRY_DELAY);
            _refreshRetryAfter = retryAfter;
            emit PriceRefreshFailed(retryAfter);
        }
    }

    /**
     * @dev The price validation prices with: the adapter's cached price, read by every validation. It is not kept for
     *      the rest of the transaction: a purchase refreshes the adapter's cache (SECURITY.md O10), and one made
     *      between two `handleOps` of a transaction, or inside a bundle's validation phase, must price the operations
     *      validated after it. The price must fit the 96 bits the ledger's CreditsSpent logs it in: one that would
     *      not is refused rather than truncated.
     */
    function _validationPrice() private view returns (uint256 priceWad_, uint256 priceTime) {
        (priceWad_, priceTime) = _cachedPrice();
        if (priceWad_ > type(uint96).max) revert CreditPaymasterPriceTooHigh(priceWad_);
    }

    /**
     * @dev The adapter's `cachedPrice()`, bubbling up its revert (no cached price). In assembly, in scratch memory:
     *      no ABI encoder, no extcodesize check (a codeless adapter returns no data, which reverts here).
     */
    function _cachedPrice() private view returns (uint256 priceWad_, uint256 priceTime) {
        address adapter = address(priceAdapter);
        bytes4 selector = IPriceAdapter.cachedPrice.selector;
        assembly ("memory-safe") {
            mstore(0, selector)
            let ok := staticcall(gas(), adapter, 0, 4, 0, 0x40)
            if iszero(and(ok, iszero(lt(returndatasize(), 0x40)))) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            priceWad_ := mload(0)
            priceTime := mload(0x20)
        }
    }

    /**
     * @dev The ledger's `hold(first, amount, asOf)` (`second` zero) or `holdSponsored(first, second, amount, asOf)`:
     *      its validUntil, bubbling up a revert. In assembly so that GAS immediately precedes CALL (ERC-7562 OP-012)
     *      and without the ABI encoder's allocation; the ledger's return word is clean and read at its width.
     */
    function _callHold(
        bytes4 selector,
        address first,
        address second,
        uint256 amount,
        uint256 asOf
    ) private returns (uint256 validUntil) {
        address ledger_ = address(ledger);
        assembly ("memory-safe") {
            let m := mload(0x40)
            // Solidity leaves the bits above a value's width undefined in assembly (the legacy code generator of
            // `npm run coverage` leaves the mode byte of the hold terms above the payer): clean every address
            first := and(first, ADDRESS_MASK)
            second := and(second, ADDRESS_MASK)
            mstore(m, selector)
            mstore(add(m, 0x04), first)
            let p := add(m, 0x24)
            if second {
                mstore(p, second)
                p := add(p, 0x20)
            }
            mstore(p, amount)
            mstore(add(p, 0x20), asOf)
            let ok := call(gas(), ledger_, 0, m, sub(add(p, 0x40), m), m, 0x20)
            // a revert (bubbled up), or no return word (not the ledger)
            if iszero(and(ok, iszero(lt(returndatasize(), 0x20)))) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            validUntil := and(mload(m), 0xffffffffffff)
        }
    }

    /**
     * @dev The ledger's `settle(first, held, charge, ref, data)` (`second` zero) or
     *      `settleSponsored(first, second, held, charge, ref, data)`, bubbling up a revert. In assembly, without the
     *      ABI encoder's allocation and the extcodesize check: the ledger is immutable and its hold, which returned
     *      data, preceded this call.
     */
    function _callSettle(
        bytes4 selector,
        address first,
        address second,
        uint256 held,
        uint256 charge,
        bytes32 ref,
        uint256 data
    ) private {
        address ledger_ = address(ledger);
        assembly ("memory-safe") {
            let m := mload(0x40)
            // Solidity leaves the bits above a value's width undefined in assembly (the legacy code generator of
            // `npm run coverage` leaves the mode byte of the hold terms above the payer): clean every address
            first := and(first, ADDRESS_MASK)
            second := and(second, ADDRESS_MASK)
            mstore(m, selector)
            mstore(add(m, 0x04), first)
            let p := add(m, 0x24)
            if second {
                mstore(p, second)
                p := add(p, 0x20)
            }
            mstore(p, held)
            mstore(add(p, 0x20), charge)
            mstore(add(p, 0x40), ref)
            mstore(add(p, 0x60), data)
            if iszero(call(gas(), ledger_, 0, m, sub(add(p, 0x80), m), 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /**
     * @dev The ledger's `settlePolicy(sponsor, policyId, user, perUser, held, charge, ref, data)` for the hold of
     *      `terms`, bubbling up a revert; in assembly like {_callSettle}.
     */
    function _callSettlePolicy(
        HoldTerms terms,
        uint256 policyId_,
        address user,
        uint256 charge,
        bytes32 ref,
        uint256 data
    ) private {
        address ledger_ = address(ledger);
        bytes4 selector = ISponsorPolicies.settlePolicy.selector;
        address sponsor = terms.payer();
        bool perUser_ = terms.perUser();
        uint256 held_ = terms.held();
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), and(sponsor, ADDRESS_MASK))
            mstore(add(m, 0x24), policyId_)
            mstore(add(m, 0x44), and(user, ADDRESS_MASK))
            mstore(add(m, 0x64), iszero(iszero(perUser_)))
            mstore(add(m, 0x84), held_)
            mstore(add(m, 0xa4), charge)
            mstore(add(m, 0xc4), ref)
            mstore(add(m, 0xe4), data)
            if iszero(call(gas(), ledger_, 0, m, 0x104, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /**
     * @dev ceil(weiAmount × priceTimesMarkup / CREDIT_SCALE): the one credits formula (validation, postOp and the
     *      views), equal to `Math.mulDiv(…, Math.Rounding.Ceil)` whenever the product fits in 256 bits, at a fraction
     *      of its gas. On the hot path it always fits: wei amounts are at most the prefund, i.e. (4 × 2^24 + 2^32
     *      gas) × 2^48 wei/gas < 2^82 (every gas limit and maxFeePerGas is capped by the uint24/uint32/uint48 fields
     *      of `Config`), the cached price is checked to fit in a uint96 and markupBps < 2^15, so the product is below
     *      2^193. Arithmetic stays checked all the same: a product that did not fit would revert (fail closed), never
     *      wrap.
     */
    function _ceilCredits(uint256 weiAmount, uint256 priceTimesMarkup) private pure returns (uint256) {
        uint256 product = weiAmount * priceTimesMarkup;
        return product == 0 ? 0 : (product - 1) / CREDIT_SCALE + 1;
    }

    function _checkLength(uint256 mode, uint256 length, uint256 expected) private pure {
        if (length != expected) {
            revert CreditPaymasterInvalidDataLength(
                mode,
                length - PAYMASTER_DATA_OFFSET,
                expected - PAYMASTER_DATA_OFFSET
            );
        }
    }

    /**
     * @dev Checks every gas field against its cap and `paymasterPostOpGasLimit` against the postOp gas floor of
     *      `mode_` for an operation whose `validatePaymasterUserOp` call data has `callDataWords` words; returns
     *      the context's gas terms without sender, refresh time and price.
     */
    function _checkGasLimits(
        Config memory cfg,
        PackedUserOperation calldata userOp,
        uint256 mode_,
        uint256 callDataWords
    ) private view returns (OpGas gas, PriceTerms price) {
        (uint256 callGas, uint256 postOpGas, uint256 preOpGas) = GasCaps.check(cfg, userOp);
        uint256 keep = _postOpGasFloor(mode_, callDataWords, cfg.postOpGasMargin);
        if (postOpGas < keep) revert CreditPaymasterPostOpGasTooLow(postOpGas, keep);
        // Both gas limits are capped by uint24 fields; preOpGas < 2^34 fits its 40 bits; keep <= postOpGas < 2^24;
        // the memory term is far below 2^24 for any call data a block can hold.
        gas = PostOpContext.opGas(callGas, postOpGas);
        price = PostOpContext.priceTerms(
            preOpGas,
            keep,
            EntryPointGas.postOpCallMemoryGas(callDataWords) + cfg.postOpGasMargin
        );
    }

    /// @dev Words of call data of `length` bytes, rounded up.
    function _callDataWords(uint256 length) private pure returns (uint256) {
        return (length + 31) / 32;
    }

    /// @dev The 32 bytes of `data` starting at `offset` (zero-padded past the end of the calldata). Callers only
    ///      use the bytes that lie within `data.length`.
    function _calldataWord(bytes calldata data, uint256 offset) private pure returns (uint256 word) {
        assembly ("memory-safe") {
            // one CALLDATALOAD instead of slice-and-convert, which bounds-checks every field it extracts
            word := calldataload(add(data.offset, offset))
        }
    }

    /// @dev Custom error instead of BasePaymaster's string.
    function _requireFromEntryPoint() internal view override {
        if (msg.sender != address(entryPoint)) revert CreditPaymasterNotFromEntryPoint(msg.sender);
    }

    /// @dev Accepts EntryPoint v0.8 (BasePaymaster's own check) and v0.7 (whose IEntryPoint id differs).
    function _validateEntryPointInterface(IEntryPoint entryPoint_) internal view override {
        IERC165 ep = IERC165(address(entryPoint_));
        if (
            address(entryPoint_).code.length == 0 ||
            !(ep.supportsInterface(type(IEntryPoint).interfaceId) ||
                ep.supportsInterface(ENTRY_POINT_V07_INTERFACE_ID))
        ) {
            revert CreditPaymasterUnsupportedEntryPoint(address(entryPoint_));
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICreditPaymaster
    function entryPointVersion() external view returns (uint256) {
        return _isV07 ? 7 : 8;
    }

    /// @inheritdoc ICreditPaymaster
    function minPostOpGasLimit(PackedUserOperation calldata userOp) external view returns (uint256) {
        uint256 mode_ = _parsePaymasterData(userOp.paymasterAndData, userOp.sender).mode();
        // This call's data is `validatePaymasterUserOp`'s without its two trailing words (userOpHash, maxCost).
        return _postOpGasFloor(mode_, _callDataWords(msg.data.length + 64), _config.postOpGasMargin);
    }

    /// @inheritdoc ICreditPaymaster
    function postOpGasFloor(Mode mode, uint256 validationCallDataLength) external view returns (uint256) {
        return
            _postOpGasFloor(uint256(mode), _callDataWords(validationCallDataLength), _config.postOpGasMargin);
    }

    /// @inheritdoc ICreditPaymaster
    function priceRefreshRetryAfter() external view returns (uint256) {
        return _refreshRetryAfter;
    }

    /**
     * @dev The smallest `paymasterPostOpGasLimit` of an operation of `mode` whose `validatePaymasterUserOp` call data
     *      has `callDataWords` words: the most postOp uses in that mode plus the EntryPoint's unmetered execution
     *      gas, which must stay unused (see {EntryPointGas}), plus the configured `postOpGasMargin`. Virtual only so
     *      that a test-only subclass can lower it and show the attack it prevents.
     */
    function _postOpGasFloor(
        uint256 mode,
        uint256 callDataWords,
        uint256 margin
    ) internal view virtual override returns (uint256) {
        uint256 need =
            mode == uint256(Mode.SELF)
                ? POST_OP_GAS_SELF
                : (mode == uint256(Mode.SPONSORED) ? POST_OP_GAS_SPONSORED : POST_OP_GAS_POLICY);
        return need + margin + EntryPointGas.unmeteredReserve(_isV07, callDataWords);
    }

    /// @dev The POST_OP_OVERHEAD_GAS_* constant of `mode`.
    function _postOpOverheadGas(uint256 mode) private pure returns (uint256) {
        if (mode == uint256(Mode.SELF)) return POST_OP_OVERHEAD_GAS_SELF;
        return mode == uint256(Mode.SPONSORED) ? POST_OP_OVERHEAD_GAS_SPONSORED : POST_OP_OVERHEAD_GAS_POLICY;
    }

    /// @dev {PolicyApprovals}: the EntryPoint served.
    function _approvalEntryPoint() internal view override returns (address) {
        return address(entryPoint);
    }

    /// @dev {PolicyApprovals}: whether it is v0.7.
    function _approvalIsV07() internal view override returns (bool) {
        return _isV07;
    }

    /// @inheritdoc ICreditPaymaster
    function worstCaseCredits(uint256 maxCost) external view returns (uint256) {
        (uint256 priceWad, ) = priceAdapter.cachedPrice();
        return creditsForGasCost(maxCost, priceWad);
    }

    /// @inheritdoc ICreditPaymaster
    function creditsForGasCost(uint256 weiAmount, uint256 priceWad) public view returns (uint256) {
        return _ceilCredits(weiAmount, priceWad * _config.markupBps);
    }
}
