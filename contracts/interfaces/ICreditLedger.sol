// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {ICreditHolds} from "./ICreditHolds.sol";
import {IERC5192} from "./IERC5192.sol";
import {IPriceAdapter} from "./IPriceAdapter.sol";

/**
 * @title ICreditLedger
 * @notice Prepaid, account-bound compute credits. Every holder owns at most one credit-account token
 *         (ERC-721 + ERC-5192, locked forever) whose id is `uint256(uint160(holder))`.
 *
 * Units: credits have 6 decimals; `1_000_000` credits = one stable unit (USD unless the price adapter is
 * configured with another unit).
 *
 * Where credits come from:
 * - purchases (`buyCredits` with the native token at the adapter's live price, `buyCreditsWithToken` with an
 *   allowlisted stablecoin): *purchased* credits, which never expire;
 * - grants by an `ISSUER_ROLE` holder within its per-epoch cap: *granted* credits, which expire at the grant's
 *   `expiresAt` (spendable while `block.timestamp < expiresAt`). Grants with the same expiry merge into one
 *   *bucket*; an account has at most 4 buckets of live grants (4 distinct live expiry dates).
 *
 * Where credits go: spent by an authorised spender (the paymaster) through a hold and its settlement
 * (`ICreditHolds`; soonest-expiring grants first, purchased credits last), expired, revoked by an issuer, or
 * moved to a new address by a delayed, cancellable recovery. At all times
 * `totalIssued == Σ balances (incl. expired-unswept) + totalBurned + totalExpired + totalRevoked`.
 *
 * Roles (OpenZeppelin AccessControl; the admin is the governance timelock in production):
 * - `DEFAULT_ADMIN_ROLE`: configuration, spenders, issuer caps, unpause, recovery;
 * - `ISSUER_ROLE`: grants and revocations; `GUARDIAN_ROLE`: pause; `RECOVERY_ROLE`: initiates recovery.
 * Spenders are not a role but a bounded registry (`addSpender`), read on the hot path in one slot.
 */
interface ICreditLedger is ICreditHolds, IERC5192 {
    // ------------------------------------------------------------------ types

    /**
     * @notice A per-epoch budget: a sponsor's allowance for a beneficiary, or an issuer's issuance cap.
     * @dev Packed in one storage slot. Epoch `i` covers `[anchor + i * epochLength, anchor + (i+1) * epochLength)`.
     *      `used` counts for epoch `usedEpoch` only. Reconfiguring moves `anchor` to now and carries what was used
     *      in the current epoch into the new epoch 0, so a change never resets spending.
     * @param limit Credits per epoch (0 = none, or revoked).
     * @param used Credits used in epoch `usedEpoch`.
     * @param epochLength Epoch length in seconds (> 0 once configured).
     * @param anchor Start of epoch 0 (unix seconds).
     * @param usedEpoch Index of the epoch `used` belongs to.
     * @param expiresAt Allowances only: usable while `block.timestamp < expiresAt`. Issuer caps: `type(uint32).max`.
     */
    struct EpochBudget {
        uint64 limit;
        uint64 used;
        uint32 epochLength;
        uint32 anchor;
        uint32 usedEpoch;
        uint32 expiresAt;
    }

    /// @notice Live granted credits that expire at `expiresAt`.
    struct GrantBucket {
        uint256 amount;
        uint64 expiresAt;
    }

    /**
     * @notice An account's credits as of now.
     * @param purchased Purchased (non-expiring) credits.
     * @param grants Live grant buckets, soonest expiry first.
     * @param held Credits held by all spenders in this transaction.
     * @param expiredUnswept Granted credits past their expiry, still stored until swept.
     */
    struct CreditBreakdown {
        uint256 purchased;
        GrantBucket[] grants;
        uint256 held;
        uint256 expiredUnswept;
    }

    // ------------------------------------------------------------------ errors

    /// @notice Credit-account tokens never move: every transfer path reverts.
    error CreditLedgerTransferBlocked(address from, address to, uint256 tokenId);
    /// @notice Credit-account tokens cannot be approved.
    error CreditLedgerApprovalBlocked(address operator, uint256 tokenId);
    /// @notice Operators cannot be approved for credit-account tokens.
    error CreditLedgerApprovalForAllBlocked(address operator, bool approved);
    /// @notice `holder` already has a credit account.
    error CreditLedgerAccountExists(address holder);
    /// @notice `holder` has no credit account.
    error CreditLedgerNoAccount(address holder);
    /// @notice A required address is zero.
    error CreditLedgerZeroAddress();
    /// @notice An epoch length is zero.
    error CreditLedgerZeroEpochLength();
    /// @notice `expiresAt` is not in `(now, type(uint32).max]`.
    error CreditLedgerInvalidExpiry(uint256 expiresAt, uint256 currentTime);
    /// @notice Adding `added` to a balance of `balance` on `account` would exceed `type(uint64).max`.
    error CreditLedgerBalanceOverflow(address account, uint256 balance, uint256 added);
    /// @notice `account` already has 4 live grant buckets, none with the requested expiry.
    error CreditLedgerTooManyGrantBuckets(address account);
    /// @notice `issuer` may issue `remaining` more credits this epoch, fewer than `requested`.
    error CreditLedgerIssuerCapExceeded(address issuer, uint256 remaining, uint256 requested);
    /// @notice The live grant bucket of `account` expiring at `expiresAt` has `unheld` revocable credits, fewer
    ///         than `requested` (0 when there is no such live bucket). Held credits are never revocable.
    error CreditLedgerGrantTooSmall(address account, uint64 expiresAt, uint256 unheld, uint256 requested);
    /// @notice A purchase of `credits` is below the minimum (`minimum`, and always at least 1).
    error CreditLedgerPurchaseTooSmall(uint256 credits, uint256 minimum);
    /// @notice `token` is not an allowlisted stablecoin of the price adapter.
    error CreditLedgerUnsupportedToken(address token);
    /// @notice The ledger is not paused.
    error CreditLedgerNotPaused();
    /// @notice `spender` is already registered.
    error CreditLedgerSpenderAlreadyAdded(address spender);
    /// @notice `spender` is not registered.
    error CreditLedgerSpenderNotFound(address spender);
    /// @notice The spender registry is full (`max` spenders).
    error CreditLedgerTooManySpenders(uint256 max);
    /// @notice `spender` placed holds in this transaction and cannot be removed in it.
    error CreditLedgerSpenderHasHolds(address spender);
    /// @notice No recovery of `from` is pending.
    error CreditLedgerNoRecovery(address from);
    /// @notice The recovery of `from` can execute from `readyAt` on.
    error CreditLedgerRecoveryNotReady(address from, uint256 readyAt);
    /// @notice `to` is not a valid recovery target for `from` (zero, or `from` itself).
    error CreditLedgerInvalidRecoveryTarget(address from, address to);
    /// @notice The recovery target `to` holds credits (including expired-unswept ones).
    error CreditLedgerRecoveryTargetNotEmpty(address to);
    /// @notice `from` has `held` credits held in this transaction; recovery must wait for their settlement.
    error CreditLedgerRecoveryBlockedByHolds(address from, uint256 held);
    /// @notice EntryPoint and paymaster must both be set (deposit mode) or both be zero (treasury mode).
    error CreditLedgerInvalidEthDestination(address entryPoint, address paymaster);

    // ------------------------------------------------------------------ events

    /// @notice `buyer` paid `paid` of `token` (zero address: native token, in wei) for `credits` on `account`.
    event CreditsPurchased(
        address indexed account,
        address indexed buyer,
        address indexed token,
        uint256 paid,
        uint256 credits
    );
    /// @notice `issuer` granted `amount` credits to `account`, spendable until `expiresAt` (exclusive).
    event CreditsGranted(address indexed account, address indexed issuer, uint256 amount, uint64 expiresAt);
    /// @notice `issuer` revoked `amount` credits of the grant bucket of `account` expiring at `expiresAt`.
    event GrantRevoked(
        address indexed account,
        address indexed issuer,
        uint64 expiresAt,
        uint256 amount,
        uint32 indexed reason
    );
    /// @notice The grant bucket of `account` expiring at `expiresAt` expired with `amount` credits; they left
    ///         the balance and were added to `totalExpired`.
    event CreditsExpired(address indexed account, uint64 expiresAt, uint256 amount);
    /// @notice The admin set `issuer`'s cap; `carriedUsed` credits already issued this epoch still count.
    event IssuerCapSet(address indexed issuer, uint64 capPerEpoch, uint32 epochLength, uint64 carriedUsed);
    /// @notice `sponsor` set `beneficiary`'s allowance; `carriedSpent` already spent this epoch still counts.
    event AllowanceSet(
        address indexed sponsor,
        address indexed beneficiary,
        uint64 perEpoch,
        uint32 epochLength,
        uint64 expiresAt,
        uint64 carriedSpent
    );
    /// @notice `sponsor` revoked `beneficiary`'s allowance (what was spent this epoch is remembered).
    event AllowanceRevoked(address indexed sponsor, address indexed beneficiary);
    /// @notice `spender` was registered as an authorised spender.
    event SpenderAdded(address indexed spender);
    /// @notice `spender` was removed from the authorised spenders.
    event SpenderRemoved(address indexed spender);
    /// @notice `guardian` paused purchases, grants and new holds.
    event LedgerPaused(address indexed guardian);
    /// @notice `admin` unpaused the ledger.
    event LedgerUnpaused(address indexed admin);
    /// @notice `initiator` started moving the credits of `from` to `to`, executable from `readyAt` on.
    event RecoveryInitiated(
        address indexed from,
        address indexed to,
        uint64 readyAt,
        address indexed initiator
    );
    /// @notice `from` cancelled the pending recovery to `to`.
    event RecoveryCancelled(address indexed from, address indexed to);
    /// @notice All credits of `from` (`purchased` and `granted`, buckets and expiries unchanged) moved to `to`;
    ///         the token of `from` was burned and `to` holds a token.
    event RecoveryExecuted(address indexed from, address indexed to, uint256 purchased, uint256 granted);
    /// @notice The recovery delay became `delay` seconds.
    event RecoveryDelaySet(uint32 delay);
    /// @notice The price adapter became `adapter`.
    event AdapterSet(address indexed adapter);
    /// @notice The treasury (stablecoin proceeds, and native proceeds in treasury mode) became `treasury`.
    event TreasurySet(address indexed treasury);
    /// @notice Native-token proceeds now go to `entryPoint.depositTo(paymaster)` (both zero: to the treasury).
    event EthDestinationSet(address indexed entryPoint, address indexed paymaster);
    /// @notice The minimum purchase became `credits`.
    event MinPurchaseSet(uint256 credits);

    // ------------------------------------------------------------------ accounts

    /**
     * @notice Opens the caller's credit account: mints the locked token `uint256(uint160(msg.sender))`.
     * @dev Accounts are also opened implicitly by their first purchase or grant. Emits `Transfer` and `Locked`.
     */
    function openAccount() external returns (uint256 tokenId);

    /// @notice The token id of `holder`'s credit account: `uint256(uint160(holder))` (whether or not it exists).
    function tokenIdOf(address holder) external pure returns (uint256);

    // ------------------------------------------------------------------ purchases

    /**
     * @notice Buys credits for `account` (oneself, or e.g. a dApp's user) with `msg.value` wei at the adapter's
     *         live price, which the purchase first stores as the adapter's cached price
     *         (`adapter.refreshAndQuoteWei`: `floor(wei * price / 1e30)`). Opens the account if needed.
     * @dev The paymaster charges gas at the cached price, so credits bought are spent right after at the price they
     *      were bought at. The wei goes to `entryPoint.depositTo(paymaster)` in deposit mode, otherwise to the
     *      treasury. Fails closed: the adapter's error bubbles (nothing changes) when the price is stale or invalid.
     *      Reverts while paused.
     */
    function buyCredits(address account) external payable returns (uint256 credits);

    /**
     * @notice Buys credits for `account` with `amount` of the allowlisted stablecoin `token`, pulled from the
     *         caller to the treasury (SafeERC20; the caller approves this contract first).
     * @dev Credits are priced on the amount the treasury actually received (balance difference), so a
     *      fee-on-transfer token cannot over-credit, at `adapter.refreshAndQuoteStablecoin`, which also refreshes
     *      the adapter's cached native price: the purchase needs a valid native price too, and fails closed with
     *      the adapter's error (nothing changes) otherwise. Reverts while paused.
     */
    function buyCreditsWithToken(
        address account,
        address token,
        uint256 amount
    ) external returns (uint256 credits);

    // ------------------------------------------------------------------ grants

    /**
     * @notice Grants `amount` credits to `account`, spendable while `block.timestamp < expiresAt`.
     * @dev `ISSUER_ROLE`; within the caller's per-epoch cap; reverts while paused. Merges into the bucket with the
     *      same expiry, else takes a free bucket (expired buckets are swept first); reverts with
     *      `CreditLedgerTooManyGrantBuckets` when 4 live buckets with other expiries exist.
     */
    function grant(address account, uint256 amount, uint64 expiresAt) external;

    /**
     * @notice Revokes exactly `amount` unheld credits from `account`'s live grant bucket expiring at `expiresAt`,
     *         recording `reason` (an application-defined code). `ISSUER_ROLE`; works while paused.
     */
    function revokeGrant(address account, uint64 expiresAt, uint256 amount, uint32 reason) external;

    /**
     * @notice Moves `account`'s expired granted credits to `totalExpired` (emits `CreditsExpired` per bucket).
     *         Anyone may call it; the ledger also sweeps whenever it writes an account.
     * @return expired Credits swept (0 when nothing had expired).
     */
    function sweepExpired(address account) external returns (uint256 expired);

    /**
     * @notice Sets `issuer`'s cap to `capPerEpoch` credits per `epochLength` seconds, starting a new epoch now and
     *         carrying what the issuer already issued in the current epoch. `DEFAULT_ADMIN_ROLE`.
     * @dev An issuer without a cap cannot grant. A zero cap stops the issuer.
     */
    function setIssuerCap(address issuer, uint64 capPerEpoch, uint32 epochLength) external;

    /// @notice `issuer`'s cap configuration and usage.
    function issuerCap(address issuer) external view returns (EpochBudget memory);

    /// @notice Credits `issuer` may still grant in the current epoch.
    function remainingIssuance(address issuer) external view returns (uint256);

    // ------------------------------------------------------------------ sponsorship

    /**
     * @notice The caller (sponsor) lets `beneficiary` spend up to `perEpoch` of the sponsor's credits per
     *         `epochLength` seconds until `expiresAt` (exclusive, at most `type(uint32).max`). Reverts with
     *         `CreditLedgerAccountRecovered` for a beneficiary that was recovered to another address.
     * @dev Starts a new epoch now and carries what `beneficiary` already spent in the current epoch (also after a
     *      revocation), so changing an allowance never resets spending.
     */
    function setAllowance(
        address beneficiary,
        uint64 perEpoch,
        uint32 epochLength,
        uint64 expiresAt
    ) external;

    /// @notice The caller revokes `beneficiary`'s allowance at once (effective for holds after this call).
    function revokeAllowance(address beneficiary) external;

    /// @notice The allowance `sponsor` gave `beneficiary` (`limit == 0`: none).
    function allowance(address sponsor, address beneficiary) external view returns (EpochBudget memory);

    /// @notice What `beneficiary` may still spend of `sponsor`'s allowance in the current epoch, after this
    ///         transaction's holds (0 when none, revoked, expired, or ended by a recovery of `beneficiary`).
    function remainingAllowance(address sponsor, address beneficiary) external view returns (uint256);

    // ------------------------------------------------------------------ spenders and pause

    /// @notice Registers `spender` (e.g. a paymaster) as an authorised spender (at most 4). `DEFAULT_ADMIN_ROLE`.
    function addSpender(address spender) external;

    /// @notice Removes `spender`. `DEFAULT_ADMIN_ROLE`. Reverts if `spender` placed a hold in this transaction.
    function removeSpender(address spender) external;

    /// @notice Whether `spender` is an authorised spender.
    function isSpender(address spender) external view returns (bool);

    /// @notice The authorised spenders.
    function spenders() external view returns (address[] memory);

    /// @notice Pauses purchases, grants and new holds; settlement keeps working. `GUARDIAN_ROLE`.
    function pause() external;

    /// @notice Unpauses. `DEFAULT_ADMIN_ROLE`.
    function unpause() external;

    /// @notice Whether the ledger is paused.
    function paused() external view returns (bool);

    // ------------------------------------------------------------------ recovery

    /**
     * @notice Starts moving all credits of `from` to `to` (whose credit state must be empty, and which was never
     *         recovered itself), executable after the recovery delay. `RECOVERY_ROLE` or `DEFAULT_ADMIN_ROLE`.
     *         Replaces a pending recovery of `from`.
     */
    function initiateRecovery(address from, address to) external;

    /// @notice The caller cancels the pending recovery of its own account (the old key's veto).
    function cancelRecovery() external;

    /**
     * @notice Executes the pending recovery of `from` once its delay has passed. Anyone may call it.
     * @dev Reverts while `from` has credits held in this transaction, or if `to` received credits meanwhile.
     *      Burns `from`'s token and mints `to`'s (emitting `Locked`) unless `to` already has one.
     *
     *      IMPORTANT: recovery also ENDS every allowance sponsors gave `from` as a beneficiary (allowances are
     *      keyed by beneficiary, and the old key may be in the wrong hands): `from` is marked recovered to `to`
     *      (`recoveredTo(from)`), after which `holdSponsored(·, from, …)` and `setAllowance(from, …)` revert with
     *      `CreditLedgerAccountRecovered(from, to)` and `remainingAllowance(·, from)` is 0. Sponsors give `to` a new
     *      allowance. Allowances are not moved to `to`: a sponsor decides whom it pays for. A recovered address is
     *      never a beneficiary again, nor a recovery target. Allowances `from` gave as a sponsor stay as they are
     *      (its credits, which back them, moved to `to`).
     */
    function executeRecovery(address from) external;

    /// @notice Sets the recovery delay in seconds. `DEFAULT_ADMIN_ROLE`.
    function setRecoveryDelay(uint32 delay) external;

    /// @notice The recovery delay in seconds.
    function recoveryDelay() external view returns (uint32);

    /// @notice The pending recovery of `from` (`to == address(0)`: none).
    function pendingRecovery(address from) external view returns (address to, uint64 readyAt);

    /// @notice The address `account` was recovered to (`address(0)`: never recovered). A recovered account is no
    ///         longer a beneficiary of any allowance (see `executeRecovery`).
    function recoveredTo(address account) external view returns (address);

    // ------------------------------------------------------------------ configuration

    /// @notice Sets the price adapter. `DEFAULT_ADMIN_ROLE`.
    function setAdapter(IPriceAdapter newAdapter) external;

    /// @notice Sets the treasury. `DEFAULT_ADMIN_ROLE`.
    function setTreasury(address newTreasury) external;

    /// @notice Native-token proceeds go to `entryPoint.depositTo(paymaster)`; both zero: to the treasury.
    ///         `DEFAULT_ADMIN_ROLE`.
    function setEthDestination(IEntryPoint entryPoint, address paymaster) external;

    /// @notice Sets the minimum purchase in credits. `DEFAULT_ADMIN_ROLE`.
    function setMinPurchase(uint256 credits) external;

    /// @notice The price adapter used for purchases.
    function adapter() external view returns (IPriceAdapter);

    /// @notice Where stablecoin proceeds (and native proceeds in treasury mode) go.
    function treasury() external view returns (address);

    /// @notice Where native-token proceeds go (both zero: the treasury).
    function ethDestination() external view returns (IEntryPoint entryPoint, address paymaster);

    /// @notice The minimum purchase in credits (a purchase of 0 credits always reverts).
    function minPurchase() external view returns (uint256);

    // ------------------------------------------------------------------ views

    /// @notice `account`'s purchased credits, live grant buckets, holds and expired-unswept credits.
    function creditBreakdown(address account) external view returns (CreditBreakdown memory);

    /// @notice Credits ever issued (purchased + granted).
    function totalIssued() external view returns (uint256);

    /// @notice Credits ever burned by settlement.
    function totalBurned() external view returns (uint256);

    /// @notice Granted credits that expired and were swept.
    function totalExpired() external view returns (uint256);

    /// @notice Granted credits revoked by issuers.
    function totalRevoked() external view returns (uint256);
}
