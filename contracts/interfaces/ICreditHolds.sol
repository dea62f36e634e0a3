// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title ICreditHolds
 * @notice The spending interface of the credit ledger: what an authorised spender (the ERC-4337 paymaster)
 *         calls. Credits are only ever spent through a hold followed by its settlement.
 *
 * Holds are *transaction-scoped*: they live in transient storage (EIP-1153) and vanish when the
 * transaction ends. A spender places holds while EntryPoint validates a bundle and settles each one in the
 * operation's `postOp`, all inside one `handleOps` transaction. Holds accumulate: the available credits of an
 * account are its unexpired credits minus the holds of every registered spender, so many operations of one
 * sponsor in one bundle can never commit more than it has.
 *
 * ERC-7562: `hold` and `holdSponsored` read no `TIMESTAMP`/`NUMBER` (expiry is judged against the caller's
 * `asOf`, a lower bound of the current time, and the returned `validUntil` bounds it from above), read the
 * ledger's storage (allowed to a staked entity), and write only transient slots of the form
 * `keccak256(spender ‖ x)` (associated with the spender). Totals are only written by settlement.
 */
interface ICreditHolds {
    /// @notice The caller is not an authorised spender.
    error CreditLedgerUnauthorizedSpender(address caller);
    /// @notice A required amount is zero.
    error CreditLedgerZeroAmount();
    /// @notice `account` has `available` spendable, unheld credits, fewer than `required`.
    error CreditLedgerInsufficientCredits(address account, uint256 available, uint256 required);
    /// @notice `sponsor` has set no allowance for `beneficiary`.
    error CreditLedgerNoAllowance(address sponsor, address beneficiary);
    /// @notice The allowance of `beneficiary` from `sponsor` expired at `expiresAt`.
    error CreditLedgerAllowanceExpired(address sponsor, address beneficiary, uint256 expiresAt);
    /// @notice The allowance has `remaining` unheld credits left this epoch, fewer than `required`.
    error CreditLedgerAllowanceExceeded(
        address sponsor,
        address beneficiary,
        uint256 remaining,
        uint256 required
    );
    /// @notice `beneficiary` was recovered to `to`: every allowance given to it ended, and none can be given to it
    ///         again. Sponsors give `to` a new allowance instead.
    error CreditLedgerAccountRecovered(address beneficiary, address to);
    /// @notice `spender` settles no hold on `account`: `held` is zero, or `spender` holds nothing on `account` in
    ///         this transaction. Every settlement releases a hold its caller placed.
    error CreditLedgerNoHold(address spender, address account);
    /// @notice A settlement names more held credits than the spender holds on the account (and it holds some).
    error CreditLedgerHoldTooSmall(address account, uint256 held, uint256 requested);
    /// @notice A settlement charges more than it holds.
    error CreditLedgerChargeExceedsHold(uint256 charge, uint256 held);
    /// @notice The ledger is paused (new holds, purchases and grants are stopped; settlement still works).
    error CreditLedgerPaused();

    /**
     * @notice Credits were burned by `spender` settling a hold on `account`: everything an indexer needs, so that no
     *         reader re-derives the ledger's spending rule.
     * @param account Whose credits were burned (the sponsor in sponsored mode).
     * @param beneficiary The account the credits were spent for (== account in self-pay mode).
     * @param spender The spender (paymaster) that settled.
     * @param amount Credits burned.
     * @param grantsTaken What came from grant buckets: `fromGrants (64) | fromLast (64) << 64 | firstExpiry (32) <<
     *        128 | lastExpiry (32) << 160` (`CreditWords.GrantsTaken`): `fromGrants` of `amount` came from grants,
     *        the rest from purchased credits; every bucket expiring in `[firstExpiry, lastExpiry)` was emptied and
     *        `fromLast` came out of the bucket expiring at `lastExpiry`. Zero when no grant was used.
     * @param ref The spender's reference for what was paid (the CreditPaymaster passes the `userOpHash`).
     * @param spenderData The spender's own data (the CreditPaymaster passes
     *        `mode << 248 | policyId << 192 | priceWad << 96 | gasCostWei`, which `decodePaymasterSpendData` in
     *        src/client decodes).
     */
    event CreditsSpent(
        address indexed account,
        address indexed beneficiary,
        address indexed spender,
        uint256 amount,
        uint256 grantsTaken,
        bytes32 ref,
        uint256 spenderData
    );

    /**
     * @notice Holds `amount` (> 0, else `CreditLedgerZeroAmount`) of `account`'s own credits until settled in the
     *         same transaction.
     * @param asOf A lower bound of the current time (e.g. the cached price's timestamp); grants that expired
     *        at or before it are not counted.
     * @return validUntil The time until which the credits relied on remain unexpired (`type(uint48).max` when
     *         purchased credits alone cover the hold); an ERC-4337 paymaster returns it (or less) as `validUntil`.
     * @dev A grant expiring at `expiry` is spendable while `block.timestamp < expiry` and EntryPoint accepts an
     *      operation while `block.timestamp <= validUntil`, so the bound is `expiry - 1` of the soonest-expiring
     *      grant bucket that all holds of the transaction (this one included) still need once every sooner bucket
     *      is dropped. The caller must pass `asOf <= block.timestamp`.
     */
    function hold(address account, uint256 amount, uint256 asOf) external returns (uint48 validUntil);

    /**
     * @notice Holds `amount` (> 0) of `sponsor`'s credits for `beneficiary`, within the allowance `sponsor` gave it
     *         for the epoch that contains `asOf`. Reverts with `CreditLedgerAccountRecovered` once `beneficiary`
     *         was recovered to another address: a recovery ends every allowance given to the old address.
     * @return validUntil As for `hold`, and no later than the allowance's expiry.
     * @dev ERC-7562: the recovery mark read here is `_recoveredTo[beneficiary]`, a slot associated with the
     *      beneficiary (the UserOperation sender), like the allowance itself.
     */
    function holdSponsored(
        address sponsor,
        address beneficiary,
        uint256 amount,
        uint256 asOf
    ) external returns (uint48 validUntil);

    /**
     * @notice Releases `held` credits held on `account` by the caller and burns `charge <= held` of them,
     *         soonest-expiring grants first, purchased credits last. Works while paused.
     * @dev Only a registered spender settles (`CreditLedgerUnauthorizedSpender`), and only a hold it placed in this
     *      transaction: `held` must be non-zero and at most the caller's hold (`CreditLedgerNoHold`,
     *      `CreditLedgerHoldTooSmall`), so every `CreditsSpent` event pairs with a real hold. The registry check
     *      reuses the read of the caller's spender slot that adds `charge` to its burned counter; the pause flag is
     *      not checked. Never fails for a hold the caller placed in this transaction with `charge <= held`, provided
     *      the hold's `validUntil` was honoured (`block.timestamp <= validUntil`, as EntryPoint enforces); otherwise
     *      the credits it relied on may have expired and it reverts with `CreditLedgerInsufficientCredits`.
     *      Revocation and recovery never take held credits. `ref` and `spenderData` are only logged in
     *      `CreditsSpent`.
     */
    function settle(address account, uint256 held, uint256 charge, bytes32 ref, uint256 spenderData) external;

    /**
     * @notice As `settle`, for a hold placed with `holdSponsored`; also records `charge` as spent from the
     *         beneficiary's allowance in the current epoch. Settles a hold placed before a recovery of the
     *         beneficiary in the same transaction (the recovery ends only later holds).
     */
    function settleSponsored(
        address sponsor,
        address beneficiary,
        uint256 held,
        uint256 charge,
        bytes32 ref,
        uint256 spenderData
    ) external;

    /// @notice Credits of `account` held by all spenders in this transaction.
    function heldCredits(address account) external view returns (uint256);

    /// @notice Unexpired credits of `account` (purchased + granted, including held ones), as of now.
    function balanceOfCredits(address account) external view returns (uint256);

    /// @notice Spendable credits of `account` now: unexpired credits minus this transaction's holds.
    function spendableCredits(address account) external view returns (uint256);
}
