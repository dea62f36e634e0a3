// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title ISponsorPolicies
 * @notice Sponsors' open policies: a sponsor lets ANY sender spend its credits under limits it sets once, with no
 *         per-user transaction. A sponsor creates any number of policies (ids 1, 2, … per sponsor), updates, pauses,
 *         resumes and closes them. A policy limits, per epoch of `epochLength` seconds: the credits and the number
 *         of operations of each user, the credits of the whole policy; and the credits of each operation; it is
 *         usable in the window `[start, end)`; and it may name an approval signer whose signature the paymaster
 *         requires for each operation. Every limit may be 0, meaning "none".
 *
 * Spending goes through a hold in validation and its settlement in postOp, like the ledger's other holds
 * ({ICreditHolds}). ERC-7562: `holdPolicy` reads the policy (the ledger's storage, readable by a staked paymaster)
 * and, when the policy has per-user limits, the user's usage (`usage[sponsor][policyId][user]`, a slot associated
 * with the user, i.e. the UserOperation sender), and writes only transient slots associated with the spender: the
 * sponsor's credit hold, the policy-wide hold and (with per-user limits) the user's hold (credits and operations). The policy-wide and per-user usage is written
 * only by `settlePolicy`, in postOp, where validation rules do not apply. Holds accumulate across every operation
 * of a transaction and every registered spender (the v0.7 and the v0.8 paymasters), so a bundle of many senders of
 * one policy, or many operations of one sender, can never exceed a limit.
 */
interface ISponsorPolicies {
    /// @notice Lifecycle of a policy: `None` (never created), `Active`, `Paused` (resumable), `Closed` (final).
    enum PolicyStatus {
        None,
        Active,
        Paused,
        Closed
    }

    /**
     * @notice What a sponsor sets for a policy (0 = no limit for every limit).
     * @param creditsPerUser Credits each user may spend per epoch.
     * @param opsPerUser Operations each user may make per epoch.
     * @param creditsPerEpoch Credits the whole policy may spend per epoch.
     * @param creditsPerOp Credits held for one operation (the paymaster's worst case) may not exceed this.
     * @param start The policy is usable from `start` (returned as the operation's `validAfter`).
     * @param end ... and while `block.timestamp < end` (the operation's `validUntil` is at most `end - 1`).
     * @param signer When not zero, every operation needs this signer's approval (EOA or ERC-1271 contract); the
     *        ledger only stores it, the paymaster checks the signature.
     */
    struct PolicyTerms {
        uint64 creditsPerUser;
        uint32 opsPerUser;
        uint64 creditsPerEpoch;
        uint64 creditsPerOp;
        uint32 start;
        uint32 end;
        address signer;
    }

    /**
     * @notice A policy as stored: its terms, epochs, status and the policy-wide spending of epoch `usedEpoch`.
     */
    struct PolicyView {
        PolicyTerms terms;
        uint32 epochLength;
        uint32 anchor;
        PolicyStatus status;
        uint64 used;
        uint32 usedEpoch;
    }

    /// @notice A user's spending under a policy in epoch `epoch`.
    struct PolicyUsage {
        uint64 credits;
        uint32 ops;
        uint32 epoch;
    }

    /// @notice `sponsor` has no policy `policyId`, or it is not in a status that allows the action (`status`).
    error CreditLedgerPolicyNotActive(address sponsor, uint256 policyId, PolicyStatus status);
    /// @notice The policy's window ended at `end` (as of the hold's `asOf`).
    error CreditLedgerPolicyEnded(address sponsor, uint256 policyId, uint256 end);
    /// @notice The hold exceeds the policy's credits per operation.
    error CreditLedgerPolicyOpCreditsExceeded(
        address sponsor,
        uint256 policyId,
        uint256 limit,
        uint256 required
    );
    /// @notice The policy has `remaining` unheld credits left this epoch, fewer than `required`.
    error CreditLedgerPolicyBudgetExceeded(
        address sponsor,
        uint256 policyId,
        uint256 remaining,
        uint256 required
    );
    /// @notice `user` has `remaining` unheld credits left under the policy this epoch, fewer than `required`.
    error CreditLedgerPolicyUserCreditsExceeded(
        address user,
        uint256 policyId,
        uint256 remaining,
        uint256 required
    );
    /// @notice `user` used (or holds) all `limit` operations of the policy this epoch.
    error CreditLedgerPolicyUserOpsExceeded(address user, uint256 policyId, uint256 limit);
    /// @notice `status` cannot be set (`None`), or is the policy's current status.
    error CreditLedgerPolicyInvalidStatus(PolicyStatus status);
    /// @notice Invalid terms: an epoch length of 0 or a window `[start, end)` that is empty or ends in the past.
    error CreditLedgerPolicyInvalidTerms(uint256 start, uint256 end, uint256 epochLength);

    /// @notice `sponsor` created (`epochLength` > 0) or updated (`epochLength` == 0) policy `policyId` with `terms`
    ///         (an update keeps the spending so far and the epochs).
    event PolicySet(address indexed sponsor, uint256 indexed policyId, PolicyTerms terms, uint32 epochLength);
    /// @notice `sponsor` set the status of policy `policyId` (`Active`, `Paused` or `Closed`).
    event PolicyStatusSet(address indexed sponsor, uint256 indexed policyId, PolicyStatus status);

    /**
     * @notice Creates a policy of the caller (the sponsor); its epochs start now and last `epochLength` seconds.
     * @return policyId The new policy's id (1 for a sponsor's first policy, then 2, …).
     */
    function createPolicy(PolicyTerms calldata terms, uint32 epochLength) external returns (uint256 policyId);

    /// @notice Replaces the terms of the caller's active or paused policy; spending and epochs are kept.
    function updatePolicy(uint256 policyId, PolicyTerms calldata terms) external;

    /**
     * @notice Sets the status of the caller's active or paused policy: `Paused` (no new hold), `Active` (resumed) or
     *         `Closed` (for good). Holds placed earlier in the same transaction still settle.
     */
    function setPolicyStatus(uint256 policyId, PolicyStatus status) external;

    /**
     * @notice Holds `amount` (> 0) of `sponsor`'s credits for `user`'s operation under policy `policyId`, within
     *         every limit of the policy for the epoch that contains `asOf`, counting every hold of this transaction
     *         (all spenders) and, when the policy has a per-user limit (`creditsPerUser` or `opsPerUser`), one
     *         operation of `user`. Without per-user limits the user's usage is neither read nor held (nor recorded
     *         at settlement): a per-user limit added later by `updatePolicy` counts from then on.
     * @param asOf A lower bound of the current time (e.g. the cached price's timestamp).
     * @return validAfter The policy's start (the paymaster returns it, or later, as `validAfter`).
     * @return validUntil As {ICreditHolds-hold}, and at most the policy's `end - 1`.
     * @return signer The policy's approval signer (zero: none), whose signature the caller must check.
     * @return perUser Whether the user's credits and operation were held: the caller passes it to `settlePolicy`.
     */
    function holdPolicy(
        address sponsor,
        uint256 policyId,
        address user,
        uint256 amount,
        uint256 asOf
    ) external returns (uint48 validAfter, uint48 validUntil, address signer, bool perUser);

    /**
     * @notice Settles a hold placed with `holdPolicy`: releases `held` credits (and, with `perUser` as `holdPolicy`
     *         returned it, one operation of `user`), burns `charge <= held` of `sponsor`'s credits and records
     *         `charge` as spent by the policy in the current epoch (and, with `perUser`, `charge` and one operation
     *         as spent by `user`). Works while the ledger or the policy is paused or closed.
     */
    function settlePolicy(
        address sponsor,
        uint256 policyId,
        address user,
        bool perUser,
        uint256 held,
        uint256 charge,
        bytes32 ref,
        uint256 spenderData
    ) external;

    /// @notice Number of policies `sponsor` created (its ids are 1 … policyCount).
    function policyCount(address sponsor) external view returns (uint256);

    /// @notice Policy `policyId` of `sponsor`.
    function policy(address sponsor, uint256 policyId) external view returns (PolicyView memory);

    /// @notice `user`'s recorded spending under policy `policyId` of `sponsor` (for epoch `epoch` only). Recorded only
    ///         for operations held while the policy had a per-user limit.
    function policyUsage(
        address sponsor,
        uint256 policyId,
        address user
    ) external view returns (PolicyUsage memory);
}
