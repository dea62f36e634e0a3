// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ISponsorPolicies} from "../interfaces/ISponsorPolicies.sol";
import {EpochBudgets} from "../libraries/EpochBudgets.sol";
import {HoldSlots} from "../libraries/HoldSlots.sol";
import {PolicyStorage} from "./PolicyStorage.sol";
import {SpenderRegistry} from "./SpenderRegistry.sol";
import {SponsorPolicyAdmin} from "./SponsorPolicyAdmin.sol";

/**
 * @title SponsorPolicies
 * @notice Sponsors' open policies ({ISponsorPolicies}): any sender spends a sponsor's credits within the policy's
 *         per-user, per-operation and policy-wide limits, with no per-user set-up transaction. The hot path (holds,
 *         settlement) and the views live here; management (create, update, status) is delegated to
 *         {SponsorPolicyAdmin}, deployed by the constructor, to keep the ledger within EIP-170. Storage:
 *         {PolicyStorage}.
 *
 * Holds (see {HoldSlots}), transient and associated with the spender: the sponsor's credit hold (shared with SELF
 * and SPONSORED holds, so that holds under all of a sponsor's policies and allowances add up), the policy-wide
 * hold and, when the policy has a per-user limit, the user's hold (`credits | operations << 128`).
 *
 * Bounded cost: a hold reads 3 policy slots and, with per-user limits, 1 usage slot, and 2 or 3 TLOADs per other
 * spender; a settlement writes the policy's budget slot and, with per-user limits, the user's usage slot. A policy
 * without per-user limits neither reads nor writes the user's usage.
 */
abstract contract SponsorPolicies is SpenderRegistry, ISponsorPolicies {
    using EpochBudgets for EpochBudget;

    /// @dev The transient-hold keys of one policy operation.
    struct PolicyKeys {
        bytes32 credit;
        bytes32 policy;
        bytes32 user;
    }

    /// @dev One operation in a user's hold word (`credits | operations << 128`).
    uint256 private constant ONE_OP = 1 << 128;

    /// @dev The management code this ledger delegates to.
    address private immutable _policyAdmin;

    constructor() {
        _policyAdmin = address(new SponsorPolicyAdmin());
    }

    // ------------------------------------------------------------------ sponsors

    /// @inheritdoc ISponsorPolicies
    function createPolicy(PolicyTerms calldata, uint32) external returns (uint256) {
        _delegateToAdmin();
    }

    /// @inheritdoc ISponsorPolicies
    function updatePolicy(uint256, PolicyTerms calldata) external {
        _delegateToAdmin();
    }

    /// @inheritdoc ISponsorPolicies
    function setPolicyStatus(uint256, PolicyStatus) external {
        _delegateToAdmin();
    }

    // ------------------------------------------------------------------ spenders

    /// @inheritdoc ISponsorPolicies
    function holdPolicy(
        address sponsor,
        uint256 policyId,
        address user,
        uint256 amount,
        uint256 asOf
    ) external returns (uint48 validAfter, uint48 validUntil, address signer, bool perUser) {
        address next = _authorizeHold(amount);
        PolicyStorage.PolicyRecord storage p = PolicyStorage.layout().policies[sponsor][policyId];
        (uint256 othersCredit, uint256 window) = _holdPolicyLimits(
            p,
            next,
            sponsor,
            policyId,
            user,
            amount,
            asOf
        );
        validUntil = _holdCredits(sponsor, HoldSlots.creditKey(sponsor), othersCredit, amount, asOf);
        // window = end (32) ‖ start (32) ‖ perUser: end > asOf >= 0 (checked), so end - 1 does not underflow.
        if (uint32(window) - 1 < validUntil) validUntil = uint48(uint32(window) - 1);
        validAfter = uint32(window >> 32);
        perUser = window >> 64 != 0;
        signer = p.signer;
    }

    /// @inheritdoc ISponsorPolicies
    function settlePolicy(
        address sponsor,
        uint256 policyId,
        address user,
        bool perUser,
        uint256 held,
        uint256 charge,
        bytes32 ref,
        uint256 spenderData
    ) external {
        (SpenderInfo storage info, uint256 infoWord) = _authorizeSettle();
        _release(HoldSlots.slot(msg.sender, HoldSlots.policyKey(sponsor, policyId)), sponsor, held, charge);
        _release(HoldSlots.slot(msg.sender, HoldSlots.creditKey(sponsor)), sponsor, held, held);
        PolicyStorage.PolicyRecord storage p = PolicyStorage.layout().policies[sponsor][policyId];
        // A hold implies the policy exists (epochLength > 0); recording saturates, so settlement never reverts here.
        if (charge != 0) p.budget.record(charge);
        if (perUser) {
            bytes32 userSlot = HoldSlots.slot(msg.sender, HoldSlots.policyUserKey(sponsor, policyId, user));
            uint256 userHeld = HoldSlots.load(userSlot);
            // The policy hold above checked 0 < held; a user hold placed with it holds >= held credits and >= 1 op.
            if (uint128(userHeld) < held || userHeld < ONE_OP) revert CreditLedgerNoHold(msg.sender, user);
            unchecked {
                HoldSlots.store(userSlot, userHeld - held - ONE_OP); // both parts checked just above
            }
            _recordUser(PolicyStorage.layout().usage[sponsor][policyId][user], p.budget, charge);
        }
        _spend(info, infoWord, sponsor, user, charge, ref, spenderData);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISponsorPolicies
    function policyCount(address sponsor) external view returns (uint256) {
        return PolicyStorage.layout().counts[sponsor];
    }

    /// @inheritdoc ISponsorPolicies
    function policy(address sponsor, uint256 policyId) external view returns (PolicyView memory v) {
        PolicyStorage.PolicyRecord storage p = PolicyStorage.layout().policies[sponsor][policyId];
        EpochBudget memory b = p.budget;
        PolicyStorage.PolicyLimits memory lim = p.limits;
        v.terms = PolicyTerms({
            creditsPerUser: lim.creditsPerUser,
            opsPerUser: lim.opsPerUser,
            creditsPerEpoch: b.limit,
            creditsPerOp: lim.creditsPerOp,
            start: lim.start,
            end: b.expiresAt,
            signer: p.signer
        });
        (v.epochLength, v.anchor, v.status, v.used, v.usedEpoch) = (
            b.epochLength,
            b.anchor,
            lim.status,
            b.used,
            b.usedEpoch
        );
    }

    /// @inheritdoc ISponsorPolicies
    function policyUsage(
        address sponsor,
        uint256 policyId,
        address user
    ) external view returns (PolicyUsage memory) {
        return PolicyStorage.layout().usage[sponsor][policyId][user];
    }

    // ------------------------------------------------------------------ internal

    /**
     * @dev Checks the policy (status, end, per-operation cap) and holds the policy-wide budget and, when the policy
     *      has a per-user limit, the user's credits and operation; returns every other spender's hold on the
     *      sponsor's credits and `end | start << 32 | perUser << 64` (the policy's window and whether the user was
     *      held: one word, for the legacy code generator's stack).
     */
    function _holdPolicyLimits(
        PolicyStorage.PolicyRecord storage p,
        address next,
        address sponsor,
        uint256 policyId,
        address user,
        uint256 amount,
        uint256 asOf
    ) private returns (uint256 othersCredit, uint256 window) {
        (EpochBudget memory budget, PolicyStorage.PolicyLimits memory limits) = _checkPolicy(
            p,
            sponsor,
            policyId,
            amount,
            asOf
        );
        // The user key is zero without per-user limits (a keccak is never zero in practice): nothing held for it.
        PolicyKeys memory k = PolicyKeys(
            HoldSlots.creditKey(sponsor),
            HoldSlots.policyKey(sponsor, policyId),
            limits.creditsPerUser != 0 || limits.opsPerUser != 0
                ? HoldSlots.policyUserKey(sponsor, policyId, user)
                : bytes32(0)
        );
        uint256[3] memory others = _otherPolicyHolds(next, k);
        _holdPolicyBudget(sponsor, policyId, budget, k.policy, others[1], amount, asOf);
        window = uint256(budget.expiresAt) | (uint256(limits.start) << 32);
        if (k.user != 0) {
            others[2] += _userUsage(PolicyStorage.layout().usage[sponsor][policyId][user], p.budget, asOf);
            _holdPolicyUser(limits, user, policyId, k.user, others[2], amount);
            window |= 1 << 64;
        }
        othersCredit = others[0];
    }

    /// @dev Checks the policy-wide budget at `asOf` against what was spent and every hold, then adds the caller's.
    function _holdPolicyBudget(
        address sponsor,
        uint256 policyId,
        EpochBudget memory budget,
        bytes32 key,
        uint256 othersHeld,
        uint256 amount,
        uint256 asOf
    ) private {
        bytes32 ownSlot = HoldSlots.slot(msg.sender, key);
        uint256 own = HoldSlots.load(ownSlot);
        if (budget.limit != 0) {
            uint256 room = budget.remaining(asOf, othersHeld + own);
            if (amount > room) revert CreditLedgerPolicyBudgetExceeded(sponsor, policyId, room, amount);
        }
        // Stored even without a policy-wide limit, so that settlement finds it whatever the terms become.
        HoldSlots.store(ownSlot, own + amount);
    }

    /// @dev Checks the user's credits and operations against `counted` (what it spent in the epoch and every other
    ///      spender's holds, as a hold word), then adds the caller's hold of `amount` credits and one operation.
    function _holdPolicyUser(
        PolicyStorage.PolicyLimits memory limits,
        address user,
        uint256 policyId,
        bytes32 key,
        uint256 counted,
        uint256 amount
    ) private {
        bytes32 ownSlot = HoldSlots.slot(msg.sender, key);
        uint256 own = HoldSlots.load(ownSlot);
        // Credits < 2^64 per hold and per record, operations < 2^32 per epoch: the low half never carries.
        uint256 total = counted + own;
        if (limits.creditsPerUser != 0) {
            uint256 room = Math.saturatingSub(limits.creditsPerUser, uint128(total));
            if (amount > room) revert CreditLedgerPolicyUserCreditsExceeded(user, policyId, room, amount);
        }
        if (limits.opsPerUser != 0 && (total >> 128) >= limits.opsPerUser) {
            revert CreditLedgerPolicyUserOpsExceeded(user, policyId, limits.opsPerUser);
        }
        HoldSlots.store(ownSlot, own + amount + ONE_OP);
    }

    /// @dev Reads the policy and checks that it is active, not ended at `asOf` and allows `amount` per operation.
    function _checkPolicy(
        PolicyStorage.PolicyRecord storage p,
        address sponsor,
        uint256 policyId,
        uint256 amount,
        uint256 asOf
    ) private view returns (EpochBudget memory budget, PolicyStorage.PolicyLimits memory limits) {
        budget = p.budget;
        limits = p.limits;
        if (limits.status != PolicyStatus.Active) {
            revert CreditLedgerPolicyNotActive(sponsor, policyId, limits.status);
        }
        // Usable while block.timestamp < end; asOf <= block.timestamp.
        if (asOf >= budget.expiresAt) revert CreditLedgerPolicyEnded(sponsor, policyId, budget.expiresAt);
        if (limits.creditsPerOp != 0 && amount > limits.creditsPerOp) {
            revert CreditLedgerPolicyOpCreditsExceeded(sponsor, policyId, limits.creditsPerOp, amount);
        }
    }

    /// @dev What `u` counts as used in the policy epoch of `time`, as a hold word (`credits | operations << 128`).
    ///      Usage recorded for a later epoch than `time`'s counts too (`time` may lag: conservative).
    function _userUsage(
        PolicyUsage storage u,
        EpochBudget storage b,
        uint256 time
    ) private view returns (uint256) {
        PolicyUsage memory m = u;
        if (m.epoch < _epochOf(b, time)) return 0;
        return m.credits | (uint256(m.ops) << 128);
    }

    /// @dev Records `charge` credits and one operation in `u` for the current epoch (saturating, never reverts).
    function _recordUser(PolicyUsage storage u, EpochBudget storage b, uint256 charge) private {
        PolicyUsage memory m = u;
        uint256 epoch = _epochOf(b, block.timestamp);
        if (m.epoch < epoch) (m.credits, m.ops) = (0, 0);
        u.credits = uint64(Math.min(m.credits + charge, type(uint64).max));
        u.ops = uint32(Math.min(uint256(m.ops) + 1, type(uint32).max));
        u.epoch = uint32(epoch); // epoch < 2^32 while timestamps fit in uint32 (anchor does)
    }

    /// @dev The policy epoch of `time`.
    function _epochOf(EpochBudget storage b, uint256 time) private view returns (uint256) {
        (uint256 anchor, uint256 length) = (b.anchor, b.epochLength);
        return time <= anchor ? 0 : (time - anchor) / length;
    }

    /// @dev Sums the policy holds of every spender other than the caller: [credit, policy-wide, user word (when
    ///      `k.user` is not zero)].
    function _otherPolicyHolds(
        address next,
        PolicyKeys memory k
    ) private view returns (uint256[3] memory held) {
        address s = next;
        while (s != msg.sender) {
            held[0] += HoldSlots.load(HoldSlots.slot(s, k.credit));
            held[1] += HoldSlots.load(HoldSlots.slot(s, k.policy));
            if (k.user != 0) held[2] += HoldSlots.load(HoldSlots.slot(s, k.user));
            s = _nextSpender(s);
        }
    }

    /// @dev Runs the current call's data in {SponsorPolicyAdmin} by DELEGATECALL and returns or reverts with its
    ///      result.
    function _delegateToAdmin() private {
        address admin = _policyAdmin;
        assembly ("memory-safe") {
            // forward the whole call (the admin has the same selectors) and bubble up its result; never returns here
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), admin, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) {
                revert(0, returndatasize())
            }
            return(0, returndatasize())
        }
    }

    // ------------------------------------------------------------------ ledger hooks

    /// @dev {CreditLedger}: holds `amount` of `account`'s credits (see {ICreditHolds-hold}).
    function _holdCredits(
        address account,
        bytes32 key,
        uint256 othersHeld,
        uint256 amount,
        uint256 asOf
    ) internal virtual returns (uint48 validUntil);

    /// @dev {CreditLedger}: releases the caller's hold at `slot` by `held`, checking `charge <= held`.
    function _release(bytes32 slot, address account, uint256 held, uint256 charge) internal virtual;

    /// @dev {CreditLedger}: burns `charge` of `account`'s credits for `beneficiary` and emits `CreditsSpent`.
    function _spend(
        SpenderInfo storage info,
        uint256 infoWord,
        address account,
        address beneficiary,
        uint256 charge,
        bytes32 ref,
        uint256 spenderData
    ) internal virtual;
}
